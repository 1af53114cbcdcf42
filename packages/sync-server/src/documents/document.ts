/**
 * One loaded document: its Y.Doc, awareness, peers and write queue. Implements the two server
 * promises that live at this layer: an update is stored before any peer sees it (relays and
 * sync answers wait on the write queue), and every peer's messages are applied in order.
 */
import { CloseCode, type Frame, writeFrame } from '@quire/protocol'
import type { Logger } from 'pino'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import { filterAwareness } from '../guard/awareness-filter.js'
import { type IntegrationBudget, integrationCost } from '../guard/integration-cost.js'
import { type UpdateLimits, checkUpdate } from '../guard/update-check.js'
import type { Metrics } from '../metrics.js'
import { writeLogRecord, writeSnapshotRecord } from '../storage/records.js'
import type { StorageHealth } from '../storage/health.js'
import type { DocumentStore } from '../storage/store.js'
import type { LoadedDocument } from './load.js'
import type { Peer } from './peer.js'
import { WriteQueue } from './write-queue.js'

/** Settings a document needs. */
export interface DocumentSettings {
  /**
   * Compact once this many log entries follow the snapshot, or once the log holds as many bytes
   * as the snapshot (at least {@link MIN_COMPACT_BYTES}): loading then reads at most about twice
   * the document, and compaction work stays proportional to what is written.
   */
  compactEvery: number
  /** Past this many stored bytes, updates that would change the document are refused. */
  maxDocumentBytes: number
  /** Largest awareness state accepted, in bytes of JSON. */
  maxAwarenessBytes: number
  /** Bounds on one update's shape. */
  updateLimits: UpdateLimits
  /** Bounds on the work one update may cost against the document. */
  integrationBudget: IntegrationBudget
  /** Yjs keeps updates it cannot integrate yet; past this many bytes of them, the sender is cut off. */
  maxPendingBytes: number
  /** Presence states (awareness client ids) one connection may hold. */
  maxAwarenessClients: number
}

/** How a document reports to whoever holds it. */
export interface DocumentContext {
  store: DocumentStore
  settings: DocumentSettings
  log: Logger
  metrics: Metrics
  /** The last peer left. */
  onIdle(doc: SharedDocument): void
  /** A write failed: memory no longer matches storage, so the document must go. */
  onFailed(doc: SharedDocument, error: Error): void
  /** Whether storage writes are succeeding, for readiness. */
  health: StorageHealth
}

/** A log smaller than this is never worth a compaction on its own. */
export const MIN_COMPACT_BYTES = 64 * 1024

interface PendingUpdate {
  update: Uint8Array
  origin: unknown
}

/** A document in memory, shared by its peers. */
export class SharedDocument {
  readonly ydoc: Y.Doc
  readonly awareness: awarenessProtocol.Awareness
  /** Each peer, with the awareness client ids it controls (removed when it leaves). */
  readonly peers = new Map<Peer, Set<number>>()
  private readonly queue: WriteQueue<PendingUpdate>
  private nextSeq: number
  private logEntries: number
  private logBytes: number
  private snapshotBytes: number
  private compacting: Promise<void> | undefined
  // Applied in memory, not yet written: counted against the size limit too.
  private unstoredBytes = 0
  private closed = false

  constructor(
    readonly name: string,
    loaded: LoadedDocument,
    private readonly ctx: DocumentContext
  ) {
    this.ydoc = loaded.ydoc
    this.nextSeq = loaded.nextSeq
    this.logEntries = loaded.logEntries
    this.logBytes = loaded.logBytes
    this.snapshotBytes = loaded.snapshotBytes
    ctx.metrics.bytesStored.inc(this.storedBytes)
    this.queue = new WriteQueue((items) => this.persist(items))
    this.awareness = new awarenessProtocol.Awareness(this.ydoc)
    this.awareness.setLocalState(null)
    this.ydoc.on('update', (update: Uint8Array, origin: unknown) => {
      this.unstoredBytes += update.length
      this.queue.push({ update, origin })
    })
    this.awareness.on('update', this.onAwareness)
  }

  /** Bytes stored for the document: snapshot and log. */
  private get storedBytes(): number {
    return this.snapshotBytes + this.logBytes
  }

  /** True once the document has been closed; a closed document takes no peers. */
  get isClosed(): boolean {
    return this.closed
  }

  /** Add a peer and start the sync: our state vector, then who is present. */
  join(peer: Peer): void {
    if (this.closed) throw new Error(`document "${this.name}" is closed`)
    this.peers.set(peer, new Set())
    this.send(peer, { type: 'sync-step1', stateVector: Y.encodeStateVector(this.ydoc) })
    const states = [...this.awareness.getStates().keys()]
    if (states.length > 0) this.send(peer, { type: 'awareness', update: awarenessProtocol.encodeAwarenessUpdate(this.awareness, states) })
  }

  /** Remove a peer and the awareness states it controlled. */
  leave(peer: Peer): void {
    const controlled = this.peers.get(peer)
    if (!controlled) return
    this.peers.delete(peer)
    if (controlled.size > 0) awarenessProtocol.removeAwarenessStates(this.awareness, [...controlled], 'leave')
    if (this.peers.size === 0) this.ctx.onIdle(this)
  }

  /**
   * Handle one frame from a peer. `index` is the frame's 1-based position on its connection,
   * echoed in acknowledgements.
   */
  receive(peer: Peer, frame: Frame, index: number): void {
    switch (frame.type) {
      case 'sync-step1':
        return this.answerStep1(peer, frame.stateVector)
      case 'sync-step2':
      case 'sync-update':
        return this.applyUpdate(peer, frame.update, index)
      case 'awareness':
        return this.applyAwareness(peer, frame.update)
      case 'query-awareness':
        return this.send(peer, {
          type: 'awareness',
          update: awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()])
        })
      // Server-to-client messages carry nothing for us.
      case 'permission-denied':
      case 'ack':
        return
    }
  }

  /** Resolves when everything applied so far is stored. */
  flushed(): Promise<void> {
    return this.queue.flushed()
  }

  /** Resolves when everything applied so far is stored and no compaction is running. */
  async settled(): Promise<void> {
    await this.queue.flushed()
    await this.compacting
  }

  /**
   * Close the document: wait for pending writes, end any remaining peers with `code`, compact
   * what the log holds, free memory. Never rejects; failures are logged.
   */
  async close(code: number = CloseCode.GoingAway, reason = 'server shutting down'): Promise<void> {
    if (this.closed) return
    this.closed = true
    let durable = true
    try {
      await this.queue.flushed()
    } catch {
      durable = false
    }
    for (const peer of [...this.peers.keys()]) peer.close(code, reason)
    this.peers.clear()
    await this.compacting
    if (durable && this.logEntries > 0) {
      try {
        await this.compact()
      } catch (error) {
        this.ctx.log.error({ doc: this.name, err: error }, 'compaction at unload failed; the log is kept')
      }
    }
    this.ctx.metrics.bytesStored.dec(this.storedBytes)
    this.awareness.destroy()
    this.ydoc.destroy()
  }

  private answerStep1(peer: Peer, stateVector: Uint8Array): void {
    let update: Uint8Array
    try {
      update = Y.encodeStateAsUpdate(this.ydoc, stateVector)
    } catch {
      return this.reject(peer, CloseCode.InvalidUpdate, 'state vector could not be decoded')
    }
    // The answer may include updates still being written: it leaves only once they are stored.
    const frame = writeFrame({ type: 'sync-step2', update })
    this.queue.whenDurable((error) => {
      if (!error) this.sendBytes(peer, frame, 'sync-step2')
    })
  }

  private applyUpdate(peer: Peer, received: Uint8Array, index: number): void {
    // A copy the exact size of the update: Yjs must not read past it into the socket's buffer.
    const update = received.slice()
    const shape = checkUpdate(update, this.ctx.settings.updateLimits)
    if (!shape.ok) return this.reject(peer, CloseCode.InvalidUpdate, shape.reason)
    const tooCostly = this.costRefusal(update)
    if (tooCostly) return this.reject(peer, CloseCode.InvalidUpdate, tooCostly)
    // Deletions alone never grow a document, so a full one still takes them.
    const full = shape.structs > 0 && this.storedBytes + this.unstoredBytes + update.length > this.ctx.settings.maxDocumentBytes
    if (peer.access === 'read' || full) {
      if (Y.snapshotContainsUpdate(Y.snapshot(this.ydoc), update)) return this.acknowledge(peer, index)
      const reason = full
        ? `document is full: this change would take it past ${this.ctx.settings.maxDocumentBytes} bytes; it stays readable`
        : 'read-only access: changes are not accepted'
      this.ctx.metrics.rejectedUpdates.inc({ reason: full ? 'document_full' : 'read_only' })
      return this.send(peer, { type: 'permission-denied', reason })
    }
    try {
      Y.applyUpdate(this.ydoc, update, peer)
    } catch {
      return this.reject(peer, CloseCode.InvalidUpdate, 'update could not be applied')
    }
    if (this.pendingBytes() > this.ctx.settings.maxPendingBytes) {
      // Updates Yjs is holding for missing dependencies; legitimate clients never pile them up.
      this.ydoc.store.pendingStructs = null
      this.ydoc.store.pendingDs = null
      return this.reject(peer, CloseCode.InvalidUpdate, 'too many updates with missing dependencies')
    }
    this.acknowledge(peer, index)
  }

  // Why applying an update would cost too much against this document; undefined if it is fine.
  private costRefusal(update: Uint8Array): string | undefined {
    try {
      const cost = integrationCost(this.ydoc, update, this.ctx.settings.integrationBudget)
      return cost.exceeded ? 'update would take too long to apply (concurrent inserts or deletes past the budget)' : undefined
    } catch {
      return 'update is malformed'
    }
  }

  private pendingBytes(): number {
    const store = this.ydoc.store
    return (store.pendingStructs?.update.length ?? 0) + (store.pendingDs?.length ?? 0)
  }

  private applyAwareness(peer: Peer, update: Uint8Array): void {
    const verdict = filterAwareness(update, {
      maxStateBytes: this.ctx.settings.maxAwarenessBytes,
      user: peer.user,
      mayControl: (clientId) => {
        for (const [other, ids] of this.peers) if (other !== peer && ids.has(clientId)) return false
        return true
      }
    })
    if (!verdict.ok) return this.reject(peer, verdict.tooLarge ? CloseCode.AwarenessTooLarge : CloseCode.InvalidUpdate, verdict.reason)
    if (verdict.entries === 0) return
    const controlled = this.peers.get(peer)
    const added = verdict.present.filter((id) => !controlled?.has(id)).length
    if ((controlled?.size ?? 0) + added > this.ctx.settings.maxAwarenessClients) {
      return this.reject(peer, CloseCode.AwarenessTooLarge, `more than ${this.ctx.settings.maxAwarenessClients} presence states for one connection`)
    }
    try {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, verdict.update, peer)
    } catch {
      this.reject(peer, CloseCode.InvalidUpdate, 'awareness update could not be applied')
    }
  }

  private acknowledge(peer: Peer, index: number): void {
    if (peer.extensions.has('ack')) {
      this.queue.whenDurable((error) => {
        if (!error) this.send(peer, { type: 'ack', index })
      })
    }
  }

  private async persist(items: PendingUpdate[]): Promise<void> {
    const seq = this.nextSeq++
    const started = performance.now()
    const record = writeLogRecord({ timestamp: Date.now(), updates: items.map((item) => item.update) })
    try {
      await this.ctx.store.append(this.name, seq, record)
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error))
      this.ctx.log.error({ doc: this.name, seq, err: failure }, 'storage write failed; updates not relayed')
      this.ctx.metrics.errors.inc({ kind: 'storage_write' })
      this.ctx.health.failed()
      queueMicrotask(() => this.ctx.onFailed(this, failure))
      throw failure
    }
    for (const item of items) this.unstoredBytes -= item.update.length
    this.ctx.health.stored()
    this.ctx.metrics.persistSeconds.observe((performance.now() - started) / 1000)
    this.ctx.metrics.updatesPersisted.inc(items.length)
    this.ctx.metrics.bytesStored.inc(record.length)
    this.logBytes += record.length
    this.logEntries++
    for (const item of items) {
      const frame = writeFrame({ type: 'sync-update', update: item.update })
      this.broadcast(frame, 'sync-update', item.origin)
    }
    // Past the size limit, compact at once: the limit is judged on the document, not its log.
    const due =
      this.logEntries >= this.ctx.settings.compactEvery ||
      this.logBytes >= Math.max(MIN_COMPACT_BYTES, this.snapshotBytes) ||
      this.storedBytes > this.ctx.settings.maxDocumentBytes
    if (due && !this.compacting) {
      // Off the write path: later appends (higher seqs) may be written while the snapshot is.
      this.compacting = this.compact()
        .catch((error: unknown) => {
          this.ctx.metrics.errors.inc({ kind: 'compaction' })
          this.ctx.log.error({ doc: this.name, err: error }, 'compaction failed; the log is kept')
        })
        .finally(() => (this.compacting = undefined))
    }
  }

  // Started right after a write, or after the queue has drained: every entry up to nextSeq - 1
  // is stored and in the Y.Doc. Entries written meanwhile have higher seqs and stay.
  private async compact(): Promise<void> {
    const throughSeq = this.nextSeq - 1
    const covered = { entries: this.logEntries, bytes: this.logBytes }
    const state = Y.encodeStateAsUpdate(this.ydoc)
    const snapshot = writeSnapshotRecord({ timestamp: Date.now(), throughSeq, state })
    await this.ctx.store.compact(this.name, snapshot, throughSeq)
    this.ctx.metrics.bytesStored.inc(snapshot.length - this.snapshotBytes - covered.bytes)
    this.snapshotBytes = snapshot.length
    this.logEntries -= covered.entries
    this.logBytes -= covered.bytes
    this.ctx.metrics.compactions.inc()
  }

  private readonly onAwareness = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown
  ): void => {
    const controlled = this.peers.get(origin as Peer)
    if (controlled) {
      for (const id of added) controlled.add(id)
      for (const id of updated) controlled.add(id)
      for (const id of removed) controlled.delete(id)
    }
    const changed = [...added, ...updated, ...removed]
    const frame = writeFrame({ type: 'awareness', update: awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed) })
    this.broadcast(frame, 'awareness')
  }

  private reject(peer: Peer, code: number, reason: string): void {
    this.ctx.log.warn({ doc: this.name, conn: peer.id, code }, reason)
    this.ctx.metrics.rejectedConnections.inc({ reason: 'invalid_update' })
    peer.close(code, reason)
  }

  private send(peer: Peer, frame: Frame): void {
    this.sendBytes(peer, writeFrame(frame), frame.type)
  }

  // One encoded frame to every peer but `except`, counted once.
  private broadcast(bytes: Uint8Array, type: string, except?: unknown): void {
    let sent = 0
    for (const peer of this.peers.keys()) {
      if (peer === except) continue
      peer.send(bytes)
      sent++
    }
    if (sent > 0) this.ctx.metrics.countOut(type, sent)
  }

  private sendBytes(peer: Peer, bytes: Uint8Array, type: string): void {
    this.ctx.metrics.countOut(type)
    peer.send(bytes)
  }
}
