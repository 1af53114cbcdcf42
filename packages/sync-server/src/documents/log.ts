/**
 * One document's stored log: the write queue that groups changes into log entries (DV5), the
 * sequence numbers and byte counts of what is stored, and compaction (CM1, CM2). The document
 * owns the state; this module owns how it reaches storage and how storage stays bounded.
 */
import { CloseCode } from '@quire/protocol'
import type { Logger } from 'pino'
import * as Y from 'yjs'
import type { Metrics } from '../metrics.js'
import type { StorageHealth } from '../storage/health.js'
import { writeLogRecord, writeSnapshotRecord } from '../storage/records.js'
import { DocumentGoneError, type DocumentStore, SeqConflictError } from '../storage/store.js'
import { buildDoc, type LoadedDocument } from './load.js'
import { WriteQueue } from './write-queue.js'

/** How the peers of a document deleted while they were on it are told (4410). */
export const DELETED_REASON = 'the document was deleted'

/** A log smaller than this is never worth a compaction on its own. */
export const MIN_COMPACT_BYTES = 64 * 1024

/** One change Yjs made, waiting to be written, and who made it (not relayed back to them). */
export interface PendingUpdate {
  update: Uint8Array
  origin: unknown
}

/** What the log needs from the server (one object shared by every document). */
export interface LogContext {
  store: DocumentStore
  log: Logger
  metrics: Metrics
  health: StorageHealth
  settings: { compactEvery: number; maxDocumentBytes: number }
}

/** What the log tells its document, and asks of it: the document itself, to spare every idle document an object of closures. */
export interface LogOwner {
  /** Changes are written: relay them. */
  written(items: PendingUpdate[]): void
  /** A write failed (DV4): the document must go; its peers get `code`. */
  writeFailed(code: number, reason: string): void
  /**
   * The document's state as one update, covering every entry written so far; undefined if
   * there is none to trust (a Y.Doc dropped after a failed apply): the log then stays.
   */
  currentState(): Uint8Array | undefined
  /**
   * Cluster mode: apply what other instances stored (resolving once applied), after the shared
   * log refused an append because its seq was taken (CL1). Undefined in one process.
   */
  catchUp(): Promise<void> | undefined
}

/** The log of one document. */
export class DocumentLog {
  private readonly queue: WriteQueue<PendingUpdate>
  private nextSeq: number
  private logEntries: number
  private logBytes: number
  private snapshotBytes: number
  private lastWrite: number | undefined
  // Applied in memory, not yet written: counted against the size limit too.
  private unstoredBytes = 0
  private compacting: Promise<void> | undefined
  /** Cluster mode: how many times the name had been deleted when the document was read; every write names it (CL11). */
  readonly generation: number

  constructor(
    private readonly name: string,
    loaded: LoadedDocument,
    private readonly ctx: LogContext,
    private readonly owner: LogOwner
  ) {
    this.nextSeq = loaded.nextSeq
    this.logEntries = loaded.logEntries
    this.logBytes = loaded.logBytes
    this.snapshotBytes = loaded.snapshotBytes
    this.lastWrite = loaded.changedAt
    this.generation = loaded.generation ?? 0
    ctx.metrics.bytesStored.inc(this.storedBytes)
    this.queue = new WriteQueue((items) => this.persist(items))
  }

  /** Bytes stored for the document: snapshot and log. */
  get storedBytes(): number {
    return this.snapshotBytes + this.logBytes
  }

  /** Bytes stored and applied but not yet written: what the size limit is judged on. */
  get totalBytes(): number {
    return this.storedBytes + this.unstoredBytes
  }

  /** When the latest change was stored (ms since the epoch); undefined while nothing is. */
  get changedAt(): number | undefined {
    return this.lastWrite
  }

  /** Log entries after the snapshot. */
  get entries(): number {
    return this.logEntries
  }

  /** The seq through which every stored entry is in the document. */
  get storedThrough(): number {
    return this.nextSeq - 1
  }

  /** Cluster mode: our own entry `seq`, read back from the shared log before its append's reply came. */
  storedOwn(seq: number): void {
    this.nextSeq = Math.max(this.nextSeq, seq + 1)
  }

  /**
   * Cluster mode: another instance stored log entry `seq` (`bytes` long), or a snapshot through
   * `seq` when `snapshotBytes` is given, and its changes are in the document now (CL3).
   */
  storedElsewhere(seq: number, bytes: number, snapshotBytes?: number): void {
    this.nextSeq = Math.max(this.nextSeq, seq + 1)
    const before = this.storedBytes
    if (snapshotBytes === undefined) {
      this.logEntries++
      this.logBytes += bytes
    } else {
      // The entries it covers are gone from the log; what we counted of them goes too.
      this.logEntries = 0
      this.logBytes = 0
      this.snapshotBytes = snapshotBytes
    }
    this.ctx.metrics.bytesStored.inc(this.storedBytes - before)
  }

  /** Changes waiting or being written. */
  get pending(): number {
    return this.queue.pending
  }

  /** Queue a change for the next log entry. */
  push(change: PendingUpdate): void {
    this.unstoredBytes += change.update.length
    this.queue.push(change)
  }

  /** Run `callback` once everything pushed so far is written, or with the error of a failed write. */
  whenDurable(callback: (error?: Error) => void): void {
    this.queue.whenDurable(callback)
  }

  /** Resolves once everything pushed so far is written; rejects if a write failed. */
  flushed(): Promise<void> {
    return this.queue.flushed()
  }

  /** Resolves once no compaction is running. */
  async idle(): Promise<void> {
    await this.compacting
  }

  /** Compact off the write path: later appends (higher seqs) may be written while the snapshot is. Never rejects. */
  compactInBackground(): Promise<void> {
    this.compacting ??= this.compact()
      .catch((error: unknown) => {
        if (error instanceof DocumentGoneError) return this.owner.writeFailed(CloseCode.DocumentDeleted, DELETED_REASON)
        this.ctx.metrics.errors.inc({ kind: 'compaction' })
        this.ctx.log.error({ doc: this.name, err: error }, 'compaction failed; the log is kept')
      })
      .finally(() => (this.compacting = undefined))
    return this.compacting
  }

  /**
   * Compact now, from `state` (default: the document's current state). Called right after a
   * write, or once the queue has drained: every entry up to nextSeq - 1 is stored and in the
   * state. Entries written meanwhile have higher seqs and stay.
   */
  async compact(state = this.owner.currentState()): Promise<void> {
    if (!state) return
    const throughSeq = this.nextSeq - 1
    const covered = { entries: this.logEntries, bytes: this.logBytes }
    // The snapshot keeps when its latest change was written, so "last changed" survives compaction.
    const snapshot = writeSnapshotRecord({ timestamp: this.lastWrite ?? Date.now(), throughSeq, state })
    await this.ctx.store.compact(this.name, snapshot, throughSeq, this.generation)
    this.ctx.metrics.bytesStored.inc(snapshot.length - this.snapshotBytes - covered.bytes)
    this.snapshotBytes = snapshot.length
    this.logEntries -= covered.entries
    this.logBytes -= covered.bytes
    this.ctx.metrics.compactions.inc()
  }

  /**
   * Compact from `update`, the stored state read back (a document only ever read has no Y.Doc).
   * It is rebuilt once, so that deleted content is collected as a live document's snapshot would be.
   */
  async compactStored(update: Uint8Array): Promise<void> {
    const ydoc = buildDoc(this.name, update)
    let state: Uint8Array
    try {
      state = Y.encodeStateAsUpdate(ydoc)
    } finally {
      ydoc.destroy()
    }
    await this.compact(state)
  }

  /** The document leaves memory: what it stored no longer counts. */
  release(): void {
    this.ctx.metrics.bytesStored.dec(this.storedBytes)
  }

  private async persist(items: PendingUpdate[]): Promise<void> {
    const started = performance.now()
    const timestamp = Date.now()
    const record = writeLogRecord({ timestamp, updates: items.map((item) => item.update) })
    let seq = this.nextSeq
    try {
      for (;;) {
        try {
          await this.ctx.store.append(this.name, seq, record, this.generation)
          break
        } catch (error) {
          // Another instance took the seq (CL1): apply what it stored, then append after it.
          const caughtUp = error instanceof SeqConflictError ? this.owner.catchUp() : undefined
          if (!caughtUp || !(error instanceof SeqConflictError)) throw error
          await caughtUp
          if (this.nextSeq <= error.stored) throw new Error(`catching up with the shared log did not reach seq ${error.stored}`)
          seq = this.nextSeq
        }
      }
      this.nextSeq = Math.max(this.nextSeq, seq + 1)
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error))
      if (failure instanceof DocumentGoneError) {
        // Deleted by another instance meanwhile (CL11): nothing to resend, and storage is fine.
        this.ctx.log.info({ doc: this.name, seq }, 'the document was deleted; its last changes are not stored')
        queueMicrotask(() => this.owner.writeFailed(CloseCode.DocumentDeleted, DELETED_REASON))
        throw failure
      }
      this.ctx.log.error({ doc: this.name, seq, err: failure }, 'storage write failed; updates not relayed')
      this.ctx.metrics.errors.inc({ kind: 'storage_write' })
      this.ctx.health.failed()
      queueMicrotask(() => this.owner.writeFailed(CloseCode.StorageFailure, 'storage write failed; reconnect to resend'))
      throw failure
    }
    for (const item of items) this.unstoredBytes -= item.update.length
    this.ctx.health.stored()
    this.ctx.metrics.persistSeconds.observe((performance.now() - started) / 1000)
    this.ctx.metrics.updatesPersisted.inc(items.length)
    this.ctx.metrics.bytesStored.inc(record.length)
    this.logBytes += record.length
    this.logEntries++
    this.lastWrite = Math.max(this.lastWrite ?? 0, timestamp)
    this.owner.written(items)
    // Past the size limit, compact at once: the limit is judged on the document, not its log.
    const due =
      this.logEntries >= this.ctx.settings.compactEvery ||
      this.logBytes >= Math.max(MIN_COMPACT_BYTES, this.snapshotBytes) ||
      this.storedBytes > this.ctx.settings.maxDocumentBytes
    if (due) void this.compactInBackground()
  }
}
