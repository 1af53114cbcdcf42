/**
 * One loaded document's history as it is written (HS1–HS4): who changed it since the last version,
 * and when to cut the next one (after `historyIdleMs` without a change, once a version spans
 * `historyMaxMs`, when it goes dormant or unloads, when named, around a restore). Never on the
 * write path: a cut reads the Y.Doc, waits until everything it covers is durable, then writes its
 * version record and the new head in one atomic write. Cuts run one at a time, in order.
 *
 * The head (where the last version ends) is read at the first cut, not at load (HS5). A document
 * stored before history existed gets its stored state as a first version of kind `import`.
 */
import type { Logger } from 'pino'
import * as Y from 'yjs'
import { REMOTE_ORIGIN } from '../documents/remote.js'
import {
  type HistoryHead,
  readHeadRecord,
  readVersionRecord,
  type VersionAuthor,
  type VersionKind,
  type VersionMeta,
  writeHeadRecord,
  writeVersionRecord
} from '../storage/history-records.js'
import { type DocumentStore, HistoryConflictError, type HistoryWrite, type StoredHistory } from '../storage/store.js'
import type { Author } from './authors.js'
import { encodeVersion, noCheckpoint } from './checkpoints.js'
import { cutVersion, deleteRangesOf, EMPTY_BASE } from './delta.js'
import { applyRetention } from './retention.js'
import { type HistorySettings, RETENTION_EVERY_MS } from './settings.js'

/** What a recorder needs from the server (one object shared by every document). */
export interface RecorderContext {
  store: DocumentStore
  log: Logger
  settings: HistorySettings
}

/** What a recorder needs from its document: the document itself, to spare every idle document an object of closures. */
export interface RecorderOwner {
  readonly name: string
  /** The live Y.Doc, when the document is awake. */
  readonly ydoc: Y.Doc | undefined
  /** Resolves once everything applied so far is stored; rejects if a write failed. */
  flushed(): Promise<void>
  /** The document's stored state as one update (for a first `import` version when nothing else gave it). */
  storedState(): Promise<Uint8Array>
  /** Who made a change with this transaction origin. */
  authorOf(origin: unknown): Author
  /** A version was cut: tell the document's clients. */
  announce(event: 'version' | 'restore', version: VersionMeta): void
  /** Cluster mode: the generation the document was read at; history writes name it (CL11). */
  readonly generation?: number
  /** Cluster mode: apply what other instances stored (before cutting again after another instance cut, HS13). */
  catchUp?(): Promise<void> | undefined
}

// How many times a cut is tried again after another instance cut first (HS13) before it gives up.
const CONFLICT_ATTEMPTS = 5

interface Pending {
  start: number
  end: number
  authors: Map<string, VersionAuthor>
}

/** The history recorder of one loaded document. */
export class HistoryRecorder {
  private head: HistoryHead | undefined
  // The head record as stored (null: none) when `head` was read or written: what a write expects
  // to replace (HS13). Undefined while unknown: such a write replaces whatever is stored.
  private headBytes: Uint8Array | null | undefined
  private pending: Pending | undefined
  private chain: Promise<unknown> = Promise.resolve()
  private idleTimer: NodeJS.Timeout | undefined
  // Steps queued or running on `chain`.
  private running = 0
  // The stored state the Y.Doc was built from, until the head is known: a first `import` version.
  private stored: Uint8Array | undefined

  constructor(
    private readonly ctx: RecorderContext,
    private readonly owner: RecorderOwner
  ) {}

  /**
   * Watch `ydoc`, just built from the stored state, for changes and their authors. `stored` gives
   * that state as one update; it is asked for only while the head is unknown (a first import).
   */
  watch(ydoc: Y.Doc, stored: () => Uint8Array): void {
    if (this.ctx.settings.history === 'off') return
    if (!this.head) this.stored ??= stored()
    ydoc.on('afterTransaction', (tr: Y.Transaction) => this.transaction(tr))
  }

  /**
   * Nothing unversioned, nothing running, nothing scheduled: the recorder holds only what storage
   * holds too, so a dormant document may drop it and make a new one when it wakes.
   */
  get idle(): boolean {
    return this.running === 0 && this.pending === undefined && this.idleTimer === undefined
  }

  /** Who changed the document since the last version, if anyone did. */
  get pendingAuthors(): VersionAuthor[] {
    return [...(this.pending?.authors.values() ?? [])]
  }

  /** When the unversioned changes began, if there are any. */
  get pendingSince(): number | undefined {
    return this.pending?.start
  }

  /** Cut a version of what changed since the last one (if anything did, or if `label` names it). Resolves with it. */
  cut(kind: VersionKind = 'edit', label: string | null = null): Promise<VersionMeta | undefined> {
    return this.step(() => this.cutStored(kind, label))
  }

  /**
   * Run `change` (a server-made change to the live Y.Doc, applied synchronously) between two cuts:
   * a `before-restore` version of the state just before it, and a `restore` version right after.
   * The `before-restore` version is stored first and the change made once it is, so that each of
   * the two writes can be cut again from the new head when another instance wrote history first
   * (HS13) and neither is lost. Edits that come during the first write are recorded, with their
   * authors, in the `restore` version. Resolves once both are stored.
   */
  around(change: (ydoc: Y.Doc) => void): Promise<{ before: VersionMeta; restored: VersionMeta } | undefined> {
    return this.step(async () => {
      // Another instance may have cut since: start from the stored head, with what it covers applied.
      if (this.owner.catchUp) {
        this.head = undefined
        await this.owner.catchUp()
      }
      const head = await this.loadHead()
      if (!head?.enabled) {
        const ydoc = this.owner.ydoc
        if (!ydoc) throw new Error('the document is not awake')
        change(ydoc)
        return undefined
      }
      const before = await this.cutStored('before-restore', null)
      // The step holds off dormancy, so the Y.Doc the version was cut from is still the live one.
      const ydoc = this.owner.ydoc
      if (!before || !ydoc) throw new Error('the document is not awake')
      change(ydoc)
      const restored = await this.cutStored('restore', null)
      if (!restored) return undefined
      return { before, restored }
    })
  }

  /** Name version `id` (or remove its name with null); resolves with it, or undefined when there is no such version. */
  relabel(id: number, label: string | null): Promise<VersionMeta | undefined> {
    return this.step(() => this.relabelNow(id, label))
  }

  private async relabelNow(id: number, label: string | null): Promise<VersionMeta | undefined> {
    for (let attempt = 1; ; attempt++) {
      const head = await this.loadHead()
      if (!head) return undefined
      const entry = (await this.ctx.store.readHistory(this.owner.name)).versions.find((version) => version.id === id)
      if (!entry) return undefined
      const record = { ...readVersionRecord(entry.value), label }
      const value = writeVersionRecord(record)
      const changed = { ...head, bytes: head.bytes + value.length - entry.value.length }
      try {
        await this.writeHead(changed, { put: [{ id, value }], delete: [] })
      } catch (error) {
        if (!(error instanceof HistoryConflictError) || attempt >= CONFLICT_ATTEMPTS) throw error
        continue
      }
      const { delta: _delta, checkpoint: _checkpoint, ...meta } = record
      this.owner.announce('version', meta)
      return meta
    }
  }

  /** Turn history on or off for this document; off drops what was not yet cut. */
  setEnabled(enabled: boolean): Promise<void> {
    return this.step(async () => {
      const head = (await this.loadHead()) ?? this.emptyHead()
      if (head.enabled === enabled) return
      if (!enabled && this.pending) {
        const ydoc = this.owner.ydoc
        if (ydoc) await this.store(head, [this.cutNow(head, ydoc, 'edit', null)])
      }
      head.enabled = enabled
      // Turned on again: the next version starts from what the document is then.
      const ydoc = this.owner.ydoc
      if (enabled && ydoc) head.base = { vector: Y.decodeStateVector(Y.encodeStateVector(ydoc)), deleted: deleteRangesOf(ydoc) }
      this.pending = undefined
      await this.writeHead(head, { put: [], delete: [] })
    })
  }

  /**
   * The stored history, once every cut asked for so far is stored. A document stored before
   * history existed gets its first `import` version now (HS5), so that it lists one.
   */
  read(): Promise<StoredHistory> {
    return this.step(async () => {
      if (!this.head && this.ctx.settings.history === 'on') {
        this.stored ??= await this.owner.storedState()
        await this.loadHead()
      }
      return this.ctx.store.readHistory(this.owner.name)
    })
  }

  /** Whether history is on for this document. */
  async enabled(): Promise<boolean> {
    await this.chain.catch(() => undefined)
    return (await this.loadHead())?.enabled ?? false
  }

  /** Resolves once every cut asked for so far has been stored (or has failed and been logged). */
  async settled(): Promise<void> {
    for (;;) {
      const chain = this.chain
      await chain.catch(() => undefined)
      if (chain === this.chain) return
    }
  }

  /** The document unloads or goes dormant: cut what is pending, and apply retention now and then when unloading. */
  async close(unloading: boolean): Promise<void> {
    clearTimeout(this.idleTimer)
    this.idleTimer = undefined
    await this.cut().catch(() => undefined)
    // Only a document changed while loaded has its head in memory; one only read needs no retention.
    if (!unloading || !this.head?.enabled || Date.now() - this.head.prunedAt < RETENTION_EVERY_MS) return
    await this.step(async () => {
      await applyRetention(this.ctx.store, this.owner.name, this.ctx.settings, Date.now(), this.owner.generation)
      this.head = undefined
    }).catch((error: unknown) => this.ctx.log.error({ doc: this.owner.name, err: error }, 'history retention failed; versions are kept as they were'))
  }

  // Cut and store a version (inside a step), cutting again after another instance's version when
  // it wrote first (HS13). An `edit` with nothing changed and no name cuts nothing; naming the live
  // text when nothing changed since the last version names that version.
  private async cutStored(kind: VersionKind, label: string | null): Promise<VersionMeta | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (!this.pending && label === null && kind === 'edit') return undefined
      const head = await this.loadHead()
      if (head?.enabled && !this.pending && kind === 'edit' && head.lastId > 0) return this.relabelNow(head.lastId, label)
      const ydoc = this.owner.ydoc
      if (!head?.enabled || !ydoc) return undefined
      const pending = this.pending
      const version = this.cutNow(head, ydoc, kind, label)
      try {
        await this.store(head, [version])
      } catch (error) {
        if (!(error instanceof HistoryConflictError) || attempt >= CONFLICT_ATTEMPTS) throw error
        // Another instance wrote first: cut again after its version, from its head, with what it stored.
        this.pending = mergePending(pending, this.pending)
        await this.owner.catchUp?.()
        continue
      }
      this.owner.announce(kind === 'restore' ? 'restore' : 'version', version.meta)
      return version.meta
    }
  }

  // One transaction finished: note who changed what, and when to cut.
  private transaction(tr: Y.Transaction): void {
    // Another instance stored these changes and records them in its versions (cluster mode, HS13).
    if (tr.origin === REMOTE_ORIGIN) return
    let clients: number[] | undefined
    for (const [client, clock] of tr.afterState) if (tr.beforeState.get(client) !== clock) (clients ??= []).push(client)
    if (!clients && tr.deleteSet.clients.size === 0) return
    const now = Date.now()
    const pending = (this.pending ??= { start: now, end: now, authors: new Map() })
    pending.end = now
    const author = this.owner.authorOf(tr.origin)
    const key = `${author.verified ? 1 : 0}:${author.name}`
    let entry = pending.authors.get(key)
    if (!entry) pending.authors.set(key, (entry = { ...author, clients: [] }))
    entry.color ??= author.color
    for (const client of clients ?? []) if (!entry.clients.includes(client)) entry.clients.push(client)
    if (now - pending.start >= this.ctx.settings.historyMaxMs) void this.cut().catch(() => undefined)
    if (this.idleTimer) this.idleTimer.refresh()
    else {
      this.idleTimer = setTimeout(() => void this.cut().catch(() => undefined), this.ctx.settings.historyIdleMs)
      this.idleTimer.unref()
    }
  }

  // Cut synchronously: the version record and the head that follows it, held in memory until stored.
  private cutNow(head: HistoryHead, ydoc: Y.Doc, kind: VersionKind, label: string | null): { meta: VersionMeta; bytes: Uint8Array } {
    const cut = cutVersion(ydoc, head.base)
    const now = Date.now()
    const pending = this.pending
    this.pending = undefined
    const meta: VersionMeta = {
      id: head.lastId + 1,
      start: pending?.start ?? now,
      end: pending?.end ?? now,
      kind,
      label,
      added: cut.added,
      removed: cut.removed,
      authors: [...(pending?.authors.values() ?? [])]
    }
    head.lastId = meta.id
    head.base = cut.base
    const bytes = encodeVersion(head, { ...meta, delta: cut.delta }, ydoc)
    return { meta, bytes }
  }

  // Store versions once everything they cover is durable. On failure the head is read again at
  // the next cut (memory ran ahead of storage), and the changes go into that cut.
  private async store(head: HistoryHead, versions: Array<{ meta: VersionMeta; bytes: Uint8Array }>): Promise<void> {
    try {
      await this.owner.flushed()
      await this.writeHead(head, { put: versions.map((version) => ({ id: version.meta.id, value: version.bytes })), delete: [] })
    } catch (error) {
      if (error instanceof HistoryConflictError) throw error
      this.ctx.log.error({ doc: this.owner.name, err: error }, 'writing a version failed; its changes go into the next one')
      throw error
    }
  }

  // Write `head` with `change`, as a compare-and-set on the head this recorder last read or wrote
  // (HS13). On any failure the head is read again before the next write.
  private async writeHead(head: HistoryHead, change: Pick<HistoryWrite, 'put' | 'delete'>): Promise<void> {
    const bytes = writeHeadRecord(head)
    try {
      await this.ctx.store.writeHistory(this.owner.name, { ...change, head: bytes, expect: this.headBytes, generation: this.owner.generation })
    } catch (error) {
      this.head = undefined
      this.headBytes = undefined
      throw error
    }
    this.head = head
    this.headBytes = bytes
  }

  private step<T>(run: () => Promise<T>): Promise<T> {
    this.running++
    const next = this.chain
      .catch(() => undefined)
      .then(run)
      .finally(() => this.running--)
    this.chain = next
    return next
  }

  private emptyHead(): HistoryHead {
    return { lastId: 0, enabled: true, prunedAt: Date.now(), bytes: 0, base: EMPTY_BASE, ...noCheckpoint() }
  }

  // The stored head; a document without one starts its history here, from what it had stored.
  private async loadHead(): Promise<HistoryHead | undefined> {
    if (this.ctx.settings.history === 'off') return undefined
    if (this.head) return this.head
    const bytes = await this.ctx.store.readHistoryHead(this.owner.name)
    this.headBytes = bytes ?? null
    if (bytes) {
      this.head = readHeadRecord(bytes)
      this.stored = undefined
      return this.head
    }
    const head = this.emptyHead()
    const stored = this.stored
    this.stored = undefined
    if (stored && stored.length > 2) {
      const ydoc = new Y.Doc()
      try {
        Y.applyUpdate(ydoc, stored)
        const cut = cutVersion(ydoc, head.base)
        const now = Date.now()
        const meta: VersionMeta = { id: 1, start: now, end: now, kind: 'import', label: null, added: cut.added, removed: 0, authors: [] }
        const imported = { ...head, lastId: 1, base: cut.base }
        const record = encodeVersion(imported, { ...meta, delta: cut.delta }, ydoc)
        try {
          await this.writeHead(imported, { put: [{ id: 1, value: record }], delete: [] })
        } catch (error) {
          if (!(error instanceof HistoryConflictError)) throw error
          // Another instance started the history first: take its head.
          return this.loadHead()
        }
        return imported
      } finally {
        ydoc.destroy()
      }
    }
    this.head = head
    return head
  }
}

// The changes of a cut that was not stored, with those made since (after another instance cut first).
function mergePending(cut: Pending | undefined, since: Pending | undefined): Pending | undefined {
  if (!cut || !since) return cut ?? since
  const authors = new Map(cut.authors)
  for (const [key, author] of since.authors) {
    const known = authors.get(key)
    if (!known) authors.set(key, author)
    else for (const client of author.clients) if (!known.clients.includes(client)) known.clients.push(client)
  }
  return { start: Math.min(cut.start, since.start), end: Math.max(cut.end, since.end), authors }
}
