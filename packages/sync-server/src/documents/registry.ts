/**
 * The loaded documents: loads each once however many peers ask at once (LS3), and unloads it
 * after its last peer has been gone for a grace period (DM3). A document being unloaded is fully
 * closed (written, compacted) before it can be loaded again, so two copies never write one log.
 * Every read of a document goes through here, a dormant one reading itself back included, so
 * load failures are counted and logged in one place.
 */
import type { Logger } from 'pino'
import type { Metrics } from '../metrics.js'
import { StorageHealth } from '../storage/health.js'
import type { DocumentStore } from '../storage/store.js'
import type { DocumentContext, DocumentReader, DocumentSettings } from './context.js'
import { SharedDocument } from './document.js'
import { buildDoc, loadDocument, loadState } from './load.js'
import type { RemoteFeed, RemoteFollow } from './remote.js'

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
  /** Whether the most recent storage write succeeded. */
  readonly health = new StorageHealth()

  // One context shared by every document: each callback is told which document it is about.
  private readonly context: DocumentContext

  constructor(
    private readonly store: DocumentStore,
    private readonly settings: RegistrySettings,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    /** Cluster mode: what other instances store and send (CL3–CL5). */
    private readonly feed?: RemoteFeed
  ) {
    this.context = {
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
      if (doc.peers.size === 0 && !doc.isClosed) void this.unload(doc)
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
