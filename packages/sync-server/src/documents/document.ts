/**
 * One loaded document: its Y.Doc, presence, peers and write queue. Implements the two server
 * promises that live at this layer: an update is stored before any peer sees it (relays and
 * sync answers wait on the write queue), and every peer's messages are applied in order.
 *
 * A document starts dormant: loaded as bytes, it answers readers from them (a fresh client gets
 * them as they are) and builds its Y.Doc at the first change. One nobody has changed for
 * `releaseAfterMs` goes dormant again: its log is compacted and its Y.Doc dropped, keeping only
 * the state vector; it answers sync requests from storage, and the next change wakes it (reads
 * and rebuilds the Y.Doc, holding every frame that arrives meanwhile, in order). Idle readers thus
 * cost their sockets, not a copy of the document.
 */
import { CloseCode, type Frame, writeFrame } from '@quire/protocol'
import type { Logger } from 'pino'
import * as Y from 'yjs'
import { type IntegrationBudget, integrationCost } from '../guard/integration-cost.js'
import { checkUpdate, type UpdateLimits } from '../guard/update-check.js'
import type { Metrics } from '../metrics.js'
import type { StorageHealth } from '../storage/health.js'
import { writeLogRecord, writeSnapshotRecord } from '../storage/records.js'
import type { DocumentStore } from '../storage/store.js'
import { buildDoc, EMPTY_UPDATE, type LoadedDocument, loadDocument, loadFailure, loadState } from './load.js'
import type { Peer } from './peer.js'
import { Presence, type PresenceLimits } from './presence.js'
import { WriteQueue } from './write-queue.js'

/** Settings a document needs. */
export interface DocumentSettings extends PresenceLimits {
  /**
   * Compact once this many log entries follow the snapshot, or once the log holds as many bytes
   * as the snapshot (at least {@link MIN_COMPACT_BYTES}): loading then reads at most about twice
   * the document, and compaction work stays proportional to what is written.
   */
  compactEvery: number
  /** Past this many stored bytes, updates that would change the document are refused. */
  maxDocumentBytes: number
  /** Bounds on one update's shape. */
  updateLimits: UpdateLimits
  /** Bounds on the work one update may cost against the document. */
  integrationBudget: IntegrationBudget
  /** Yjs keeps updates it cannot integrate yet; past this many bytes of them, the sender is cut off. */
  maxPendingBytes: number
  /** A document unchanged for this long drops its Y.Doc until the next change. */
  releaseAfterMs: number
  /** Frames one connection may send while its document wakes (or loads). */
  maxQueuedFrames: number
}

/** How a document reports to whoever holds it. */
export interface DocumentContext {
  store: DocumentStore
  settings: DocumentSettings
  log: Logger
  metrics: Metrics
  /** The last peer left. */
  onIdle(doc: SharedDocument): void
  /** A write (or a wake's read) failed: memory no longer matches storage, so the document must go; its peers get `code`. */
  onFailed(doc: SharedDocument, code: number, reason: string): void
  /** Whether storage writes are succeeding, for readiness. */
  health: StorageHealth
}

/** A log smaller than this is never worth a compaction on its own. */
export const MIN_COMPACT_BYTES = 64 * 1024

interface PendingUpdate {
  update: Uint8Array
  origin: unknown
}

interface HeldFrame {
  peer: Peer
  frame: Frame
  index: number
}

// What a client that has nothing sends as its sync step 1.
const EMPTY_VECTOR = Y.encodeStateVector(new Y.Doc())

/** A document in memory, shared by its peers. */
export class SharedDocument {
  /** The peers on the document. */
  readonly peers = new Set<Peer>()
  private readonly presence: Presence
  // The Y.Doc while awake; undefined while dormant.
  private live: Y.Doc | undefined
  // While dormant: the state vector of what is stored.
  private dormantVector: Uint8Array | undefined
  // Dormant since loading: the loaded state, kept for releaseAfterMs to answer readers and wake from.
  private loadedState: Uint8Array | undefined
  // While waking: frames that arrived meanwhile, replayed in order once the Y.Doc is back.
  private held: { frames: HeldFrame[]; perPeer: Map<Peer, number> } | undefined
  private waking: Promise<void> | undefined
  private releaseTimer: NodeJS.Timeout | undefined
  // Counts applied updates, so a release can tell whether one came while it compacted.
  private changes = 0
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
    this.nextSeq = loaded.nextSeq
    this.logEntries = loaded.logEntries
    this.logBytes = loaded.logBytes
    this.snapshotBytes = loaded.snapshotBytes
    ctx.metrics.bytesStored.inc(this.storedBytes)
    this.queue = new WriteQueue((items) => this.persist(items))
    this.presence = new Presence(ctx.settings, (update) => this.broadcast(writeFrame({ type: 'awareness', update }), 'awareness'))
    if (loaded.ydoc) {
      this.awaken(loaded.ydoc)
    } else {
      // Loaded as bytes: readers are answered from them; the Y.Doc is built at the first change.
      const state = loaded.state as NonNullable<LoadedDocument['state']>
      this.dormantVector = state.vector
      this.loadedState = state.update
      ctx.metrics.documentsDormant.inc()
      this.releaseTimer = setTimeout(() => (this.loadedState = undefined), ctx.settings.releaseAfterMs)
      this.releaseTimer.unref()
    }
  }

  /** The Y.Doc, or undefined while the document is dormant. */
  get ydoc(): Y.Doc | undefined {
    return this.live
  }

  /** Presence (awareness) states by client id. */
  get presenceStates(): ReadonlyMap<number, unknown> {
    return this.presence.states
  }

  /** Bytes stored for the document: snapshot and log. */
  private get storedBytes(): number {
    return this.snapshotBytes + this.logBytes
  }

  /** Bytes of the document's state: stored, plus applied but not yet written. What a sync answer costs. */
  get stateBytes(): number {
    return this.storedBytes + this.unstoredBytes
  }

  /** True once the document has been closed; a closed document takes no peers. */
  get isClosed(): boolean {
    return this.closed
  }

  /** Add a peer and start the sync: our state vector, then who is present. */
  join(peer: Peer): void {
    if (this.closed) throw new Error(`document "${this.name}" is closed`)
    this.peers.add(peer)
    this.presence.join(peer)
    this.send(peer, { type: 'sync-step1', stateVector: this.live ? Y.encodeStateVector(this.live) : (this.dormantVector as Uint8Array) })
    if (this.presence.states.size > 0) this.send(peer, { type: 'awareness', update: this.presence.encodeAll() })
  }

  /** Remove a peer and the awareness states it controlled. */
  leave(peer: Peer): void {
    if (!this.peers.delete(peer)) return
    this.presence.leave(peer)
    if (this.peers.size === 0) this.ctx.onIdle(this)
  }

  /**
   * Handle one frame from a peer. `index` is the frame's 1-based position on its connection,
   * echoed in acknowledgements.
   */
  receive(peer: Peer, frame: Frame, index: number): void {
    if (this.held) return this.hold({ peer, frame, index })
    switch (frame.type) {
      case 'sync-step1':
        return this.live ? this.answerStep1(peer, frame.stateVector) : this.answerDormant(peer, frame.stateVector)
      case 'sync-step2':
      case 'sync-update':
        if (this.live) return this.applyUpdate(peer, frame.update, index)
        // A client with nothing to add (a fresh one's step 2) need not wake the document.
        return equalBytes(frame.update, EMPTY_UPDATE) ? this.acknowledge(peer, index) : this.wake({ peer, frame, index })
      case 'awareness': {
        const refusal = this.presence.apply(peer, frame.update)
        return refusal ? this.reject(peer, refusal.code, refusal.reason) : undefined
      }
      case 'query-awareness':
        return this.send(peer, { type: 'awareness', update: this.presence.encodeAll() })
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
    await this.waking
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
    clearTimeout(this.releaseTimer)
    this.held = undefined
    for (const peer of [...this.peers]) peer.close(code, reason)
    this.peers.clear()
    await this.compacting
    if (durable && this.logEntries > 0 && this.live) {
      try {
        await this.compact()
      } catch (error) {
        this.ctx.log.error({ doc: this.name, err: error }, 'compaction at unload failed; the log is kept')
      }
    }
    this.ctx.metrics.bytesStored.dec(this.storedBytes)
    this.presence.destroy()
    this.live?.destroy()
    this.live = undefined
    this.loadedState = undefined
    if (this.dormantVector) this.ctx.metrics.documentsDormant.dec()
  }

  // Take `ydoc` as the live state: watch it for changes, and release it once they stop.
  private awaken(ydoc: Y.Doc): void {
    if (this.dormantVector) this.ctx.metrics.documentsDormant.dec()
    this.live = ydoc
    this.dormantVector = undefined
    this.loadedState = undefined
    ydoc.on('update', (update: Uint8Array, origin: unknown) => {
      this.unstoredBytes += update.length
      this.changes++
      this.releaseTimer?.refresh()
      this.queue.push({ update, origin })
    })
    clearTimeout(this.releaseTimer)
    this.releaseTimer = setTimeout(() => void this.release(), this.ctx.settings.releaseAfterMs)
    this.releaseTimer.unref()
  }

  // Go dormant if nothing changed for releaseAfterMs: write everything, compact (so waking reads
  // one snapshot), keep the state vector, drop the Y.Doc. Any change meanwhile keeps it awake.
  private async release(): Promise<void> {
    const ydoc = this.live
    if (!ydoc || this.closed) return
    const changes = this.changes
    try {
      await this.settled()
      if (this.logEntries > 0) await this.compactInBackground()
    } catch {
      return // a failed write drops the document; its failure is logged there
    }
    if (this.live !== ydoc || this.closed || this.changes !== changes) return
    if (this.logEntries > 0 || this.queue.pending > 0) {
      this.releaseTimer?.refresh()
      return
    }
    this.dormantVector = Y.encodeStateVector(ydoc)
    this.live = undefined
    this.releaseTimer = undefined
    ydoc.destroy()
    this.ctx.metrics.documentsDormant.inc()
  }

  // Rebuild the Y.Doc from storage, holding `first` and every frame after it until it is back.
  private wake(first: HeldFrame): void {
    if (this.loadedState) {
      let ydoc: Y.Doc
      try {
        ydoc = buildDoc(this.name, this.loadedState)
      } catch (error) {
        return this.wakeFailed(error)
      }
      this.awaken(ydoc)
      return this.receive(first.peer, first.frame, first.index)
    }
    this.held = { frames: [], perPeer: new Map() }
    this.hold(first)
    this.waking = loadDocument(this.ctx.store, this.name).then(
      (loaded) => {
        if (this.closed) return loaded.ydoc.destroy()
        this.awaken(loaded.ydoc)
        const frames = this.held?.frames ?? []
        this.held = undefined
        for (const { peer, frame, index } of frames) if (this.peers.has(peer)) this.receive(peer, frame, index)
      },
      (error: unknown) => {
        this.held = undefined
        this.wakeFailed(error)
      }
    )
    this.waking.finally(() => (this.waking = undefined))
  }

  private wakeFailed(error: unknown): void {
    this.ctx.metrics.errors.inc({ kind: 'load' })
    this.ctx.log.error({ doc: this.name, err: error }, 'waking the document failed')
    const failure = loadFailure(error)
    this.ctx.onFailed(this, failure.code, failure.reason)
  }

  private hold(held: HeldFrame): void {
    const { frames, perPeer } = this.held as NonNullable<typeof this.held>
    const count = (perPeer.get(held.peer) ?? 0) + 1
    if (count > this.ctx.settings.maxQueuedFrames) return this.reject(held.peer, CloseCode.TryAgainLater, 'too many messages while the document loads')
    perPeer.set(held.peer, count)
    frames.push(held)
  }

  // Dormant: answer from the loaded state or from storage, which hold everything (a document goes
  // dormant only once flushed).
  private answerDormant(peer: Peer, stateVector: Uint8Array): void {
    if (this.loadedState) return this.answerFrom(peer, this.loadedState, stateVector)
    loadState(this.ctx.store, this.name).then(
      ({ state }) => {
        if (this.peers.has(peer)) this.answerFrom(peer, state.update, stateVector)
      },
      (error: unknown) => {
        this.ctx.log.error({ doc: this.name, err: error }, 'reading the document for a client failed')
        const failure = loadFailure(error)
        peer.close(failure.code, failure.reason)
      }
    )
  }

  private answerFrom(peer: Peer, state: Uint8Array, stateVector: Uint8Array): void {
    let update: Uint8Array
    try {
      // A client that has nothing gets the state as it is, without decoding it.
      update = equalBytes(stateVector, EMPTY_VECTOR) ? state : Y.diffUpdate(state, stateVector)
    } catch {
      return this.reject(peer, CloseCode.InvalidUpdate, 'state vector could not be decoded')
    }
    this.sendBytes(peer, writeFrame({ type: 'sync-step2', update }), 'sync-step2')
  }

  private answerStep1(peer: Peer, stateVector: Uint8Array): void {
    let update: Uint8Array
    try {
      update = Y.encodeStateAsUpdate(this.live as Y.Doc, stateVector)
    } catch {
      return this.reject(peer, CloseCode.InvalidUpdate, 'state vector could not be decoded')
    }
    // The answer may include updates still being written: it leaves only once they are stored.
    const frame = writeFrame({ type: 'sync-step2', update })
    this.queue.whenDurable((error) => {
      if (!error) this.sendBytes(peer, frame, 'sync-step2')
    })
  }

  // Only called while awake.
  private applyUpdate(peer: Peer, received: Uint8Array, index: number): void {
    const ydoc = this.live as Y.Doc
    // A copy the exact size of the update: Yjs must not read past it into the socket's buffer.
    const update = received.slice()
    const shape = checkUpdate(update, this.ctx.settings.updateLimits)
    if (!shape.ok) return this.reject(peer, CloseCode.InvalidUpdate, shape.reason)
    const tooCostly = this.costRefusal(ydoc, update)
    if (tooCostly) return this.reject(peer, CloseCode.InvalidUpdate, tooCostly)
    // Deletions alone never grow a document, so a full one still takes them.
    const full = shape.structs > 0 && this.storedBytes + this.unstoredBytes + update.length > this.ctx.settings.maxDocumentBytes
    if (peer.access === 'read' || full) {
      if (Y.snapshotContainsUpdate(Y.snapshot(ydoc), update)) return this.acknowledge(peer, index)
      const reason = full
        ? `document is full: this change would take it past ${this.ctx.settings.maxDocumentBytes} bytes; it stays readable`
        : 'read-only access: changes are not accepted'
      this.ctx.metrics.rejectedUpdates.inc({ reason: full ? 'document_full' : 'read_only' })
      return this.send(peer, { type: 'permission-denied', reason })
    }
    try {
      Y.applyUpdate(ydoc, update, peer)
    } catch {
      return this.reject(peer, CloseCode.InvalidUpdate, 'update could not be applied')
    }
    if (this.pendingBytes() > this.ctx.settings.maxPendingBytes) {
      // Updates Yjs is holding for missing dependencies; legitimate clients never pile them up.
      ydoc.store.pendingStructs = null
      ydoc.store.pendingDs = null
      return this.reject(peer, CloseCode.InvalidUpdate, 'too many updates with missing dependencies')
    }
    this.acknowledge(peer, index)
  }

  // Why applying an update would cost too much against this document; undefined if it is fine.
  private costRefusal(ydoc: Y.Doc, update: Uint8Array): string | undefined {
    try {
      const cost = integrationCost(ydoc, update, this.ctx.settings.integrationBudget)
      return cost.exceeded ? 'update would take too long to apply (concurrent inserts or deletes past the budget)' : undefined
    } catch {
      return 'update is malformed'
    }
  }

  private pendingBytes(): number {
    const store = (this.live as Y.Doc).store
    return (store.pendingStructs?.update.length ?? 0) + (store.pendingDs?.length ?? 0)
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
      queueMicrotask(() => this.ctx.onFailed(this, CloseCode.StorageFailure, 'storage write failed; reconnect to resend'))
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
    if (due) void this.compactInBackground()
  }

  // Off the write path: later appends (higher seqs) may be written while the snapshot is.
  private compactInBackground(): Promise<void> {
    this.compacting ??= this.compact()
      .catch((error: unknown) => {
        this.ctx.metrics.errors.inc({ kind: 'compaction' })
        this.ctx.log.error({ doc: this.name, err: error }, 'compaction failed; the log is kept')
      })
      .finally(() => (this.compacting = undefined))
    return this.compacting
  }

  // Started right after a write, or after the queue has drained: every entry up to nextSeq - 1
  // is stored and in the Y.Doc. Entries written meanwhile have higher seqs and stay.
  private async compact(): Promise<void> {
    const throughSeq = this.nextSeq - 1
    const covered = { entries: this.logEntries, bytes: this.logBytes }
    const state = Y.encodeStateAsUpdate(this.live as Y.Doc)
    const snapshot = writeSnapshotRecord({ timestamp: Date.now(), throughSeq, state })
    await this.ctx.store.compact(this.name, snapshot, throughSeq)
    this.ctx.metrics.bytesStored.inc(snapshot.length - this.snapshotBytes - covered.bytes)
    this.snapshotBytes = snapshot.length
    this.logEntries -= covered.entries
    this.logBytes -= covered.bytes
    this.ctx.metrics.compactions.inc()
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
    for (const peer of this.peers) {
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

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}
