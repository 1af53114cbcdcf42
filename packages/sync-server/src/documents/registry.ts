/**
 * The loaded documents: loads each once however many peers ask at once (LS3), and unloads it
 * after its last peer has been gone for a grace period (DM3). A document being unloaded is fully
 * closed (written, compacted) before it can be loaded again, so two copies never write one log.
 * Every read of a document goes through here, a dormant one reading itself back included, so
 * load failures are counted and logged in one place.
 */
import { CloseCode } from '@quire/protocol'
import type { Logger } from 'pino'
import type { Metrics } from '../metrics.js'
import { StorageHealth } from '../storage/health.js'
import type { DocumentStore, SnapshotReader } from '../storage/store.js'
import type { DocumentEvents } from '../webhooks/document-events.js'
import type { DocumentContext, DocumentReader, DocumentSettings } from './context.js'
import { SharedDocument } from './document.js'
import { buildDoc, loadDocument, loadState, storedFacts } from './load.js'
import { DELETED_REASON } from './log.js'
import type { RemoteFeed, RemoteFollow } from './remote.js'
import { applyServerUpdate, type ChangeAuthor, type ChangeOutcome, replaceText, ServerChange } from './server-change.js'

/** Settings for the registry. */
export interface RegistrySettings extends DocumentSettings {
  /** How long an idle document stays in memory after its last peer leaves. */
  unloadGraceMs: number
}

/** All documents in memory. */
export class DocumentRegistry {
  private readonly loaded = new Map<string, Promise<SharedDocument>>()
  private readonly unloading = new Map<string, Promise<void>>()
  private readonly idleTimers = new Map<string, NodeJS.Timeout>()
  // Documents in use by withDocument, by name: they are not unloaded meanwhile.
  private readonly holds = new Map<string, number>()
  /** Whether the most recent storage write succeeded. */
  readonly health = new StorageHealth()

  // One context shared by every document: each callback is told which document it is about.
  private readonly context: DocumentContext

  constructor(
    private readonly store: DocumentStore,
    private readonly settings: RegistrySettings,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    events?: DocumentEvents,
    /** Cluster mode: what other instances store and send (CL3–CL5). */
    private readonly feed?: RemoteFeed
  ) {
    this.context = {
      events,
      store,
      settings,
      log,
      metrics,
      read: this.reader(),
      onIdle: (idle) => this.scheduleUnload(idle),
      onFailed: (failed, code, reason) => this.drop(failed, code, reason),
      health: this.health
    }
  }

  /** Documents in memory now. */
  get size(): number {
    return this.loaded.size
  }

  /** The document, loaded fully from storage before it resolves. Rejects if the load fails. */
  async open(name: string): Promise<SharedDocument> {
    for (;;) {
      const unloading = this.unloading.get(name)
      if (!unloading) break
      await unloading
    }
    let doc = this.loaded.get(name)
    if (!doc) {
      doc = this.load(name)
      this.loaded.set(name, doc)
    }
    return doc
  }

  /**
   * Run `use` on the document, loaded if it was not, kept in memory until `use` settles (an idle
   * document is unloaded only afterwards). For the server's own reads and changes (HTTP API,
   * history): a document without peers would otherwise be unloaded under them.
   */
  async withDocument<T>(name: string, use: (doc: SharedDocument) => Promise<T>): Promise<T> {
    let doc = await this.open(name)
    // Dropped (a failed write) or unloaded between the load and now: take the next copy.
    while (doc.isClosed) doc = await this.open(name)
    this.holds.set(name, (this.holds.get(name) ?? 0) + 1)
    try {
      return await use(doc)
    } finally {
      const left = (this.holds.get(name) ?? 1) - 1
      if (left > 0) this.holds.set(name, left)
      else this.holds.delete(name)
      if (left === 0 && doc.peers.size === 0 && !doc.isClosed) this.scheduleUnload(doc)
    }
  }

  /**
   * Apply a Yjs update the server makes itself, recorded as written by `author` (see
   * server-change.ts: same admission as a peer's, stored before it is relayed to
   * every peer, resolves once durable). Wakes a dormant document.
   */
  applyUpdate(name: string, update: Uint8Array, author: ChangeAuthor, kind = 'api'): Promise<ChangeOutcome> {
    return this.withDocument(name, (doc) => applyServerUpdate(doc, update, new ServerChange(author, kind)))
  }

  /** Make the document's text `text` as one minimal-diff change by `author` (see server-change.ts). */
  replaceText(name: string, text: string, author: ChangeAuthor, kind = 'api'): Promise<ChangeOutcome> {
    return this.withDocument(name, (doc) => replaceText(doc, text, new ServerChange(author, kind)))
  }

  /**
   * What is stored for `name`: bytes, when its latest change was written, connected clients. From
   * memory when it is loaded, else from its stored records (without loading it). Rejects on damaged records.
   */
  async facts(name: string): Promise<{ bytes: number; changedAt: number | undefined; clients: number }> {
    const loaded = this.loaded.get(name)
    const doc = loaded && (await loaded.catch(() => undefined))
    if (doc && !doc.isClosed) return doc.facts
    return { ...storedFacts(await this.store.read(name)), clients: 0 }
  }

  /** Names of stored documents, as {@link DocumentStore.list}. */
  list(options: { prefix: string; after: string | undefined; limit: number }): Promise<string[]> {
    return this.store.list(options)
  }

  /**
   * Delete a document: its peers are closed with 4410 (DocumentDeleted), what it wrote is
   * flushed, then everything stored for it is removed in one write. Loads of the name wait
   * meanwhile and then start from an empty document. Resolves to whether anything was there.
   */
  async delete(name: string): Promise<boolean> {
    for (;;) {
      const unloading = this.unloading.get(name)
      if (!unloading) break
      await unloading
    }
    const loaded = this.loaded.get(name)
    this.loaded.delete(name)
    clearTimeout(this.idleTimers.get(name))
    this.idleTimers.delete(name)
    let existed = false
    const deleting = (async () => {
      const doc = loaded && (await loaded.catch(() => undefined))
      if (doc && !doc.isClosed) {
        existed = doc.peers.size > 0 || doc.facts.bytes > 0
        await doc.close(CloseCode.DocumentDeleted, DELETED_REASON)
        this.metrics.documentsLoaded.dec()
      }
      existed = (await this.store.size(name)) > 0 || existed
      await this.store.delete(name)
    })().finally(() => this.unloading.delete(name))
    this.unloading.set(name, deleting)
    await deleting
    this.log.info({ doc: name, existed }, 'document deleted')
    if (existed) this.context.events?.deleted(name)
    return existed
  }

  /** Everything stored at this instant, for an online backup; undefined if the store cannot take one. */
  snapshot(): SnapshotReader | undefined {
    return this.store.snapshot?.()
  }

  /** Close every document (flushing writes, ending peers with 1001). */
  async closeAll(): Promise<void> {
    for (const timer of this.idleTimers.values()) clearTimeout(timer)
    this.idleTimers.clear()
    const docs = await Promise.allSettled([...this.loaded.values()])
    this.loaded.clear()
    await Promise.all(docs.map((result) => (result.status === 'fulfilled' ? this.closeDoc(result.value) : undefined)))
    await Promise.all(this.unloading.values())
  }

  private async load(name: string): Promise<SharedDocument> {
    const started = performance.now()
    let loaded: Awaited<ReturnType<typeof loadState>>
    let follow: RemoteFollow | undefined
    try {
      // Subscribed before the read: whatever is appended after it rings (CL3).
      follow = await this.feed?.follow(name)
      loaded = await this.context.read.state(name)
    } catch (error) {
      follow?.stop()
      this.loaded.delete(name)
      if (!follow && this.feed) {
        this.metrics.errors.inc({ kind: 'load' })
        this.log.error({ doc: name, err: error }, 'document load failed: cannot subscribe to its channel')
      }
      throw error
    }
    const doc = new SharedDocument(name, loaded, this.context, follow)
    this.metrics.documentsLoaded.inc()
    this.log.debug({ doc: name, ms: Math.round(performance.now() - started), logEntries: loaded.logEntries }, 'document loaded')
    // A peer that went away while we loaded will never join; make sure the document still leaves.
    this.scheduleUnload(doc)
    return doc
  }

  // Reads of stored documents, each failure counted and logged once.
  private reader(): DocumentReader {
    const failed = (name: string, error: unknown): never => {
      this.metrics.errors.inc({ kind: 'load' })
      this.log.error({ doc: name, err: error }, 'document load failed')
      throw error
    }
    return {
      state: (name) => loadState(this.store, name).catch((error: unknown) => failed(name, error)),
      ydoc: (name) => loadDocument(this.store, name).catch((error: unknown) => failed(name, error)),
      build: (name, update) => {
        try {
          return buildDoc(name, update)
        } catch (error) {
          return failed(name, error)
        }
      }
    }
  }

  private scheduleUnload(doc: SharedDocument): void {
    clearTimeout(this.idleTimers.get(doc.name))
    const timer = setTimeout(() => {
      this.idleTimers.delete(doc.name)
      if (doc.peers.size === 0 && !doc.isClosed && !this.holds.has(doc.name)) void this.unload(doc)
    }, this.settings.unloadGraceMs)
    timer.unref()
    this.idleTimers.set(doc.name, timer)
  }

  private async unload(doc: SharedDocument): Promise<void> {
    this.loaded.delete(doc.name)
    await this.closeDoc(doc)
    this.log.debug({ doc: doc.name }, 'document unloaded')
  }

  private drop(doc: SharedDocument, code: number, reason: string): void {
    if (doc.isClosed) return
    this.loaded.delete(doc.name)
    void this.closeDoc(doc, code, reason)
  }

  private closeDoc(doc: SharedDocument, code?: number, reason?: string): Promise<void> {
    const existing = this.unloading.get(doc.name)
    if (existing) return existing
    const closing = doc.close(code, reason).finally(() => {
      this.unloading.delete(doc.name)
      this.metrics.documentsLoaded.dec()
    })
    this.unloading.set(doc.name, closing)
    return closing
  }
}
