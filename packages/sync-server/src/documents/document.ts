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
 *
 * Sync answers come from one encoding of the current state (see EncodedState), made at the first
 * request after a change and kept only while requests keep coming; each connection has one answer
 * in flight at a time, so a flood of step 1s costs one encoding, not one per request.
 */
import { CloseCode, type Frame, writeFrame } from '@quire/protocol'
import type { Logger } from 'pino'
import * as Y from 'yjs'
import { type DecodedUpdate, type IntegrationBudget, integrationCost } from '../guard/integration-cost.js'
import { pendingBytes, savePending, waitsWhole } from '../guard/pending.js'
import { checkUpdate, type UpdateLimits } from '../guard/update-check.js'
import type { Metrics } from '../metrics.js'
import type { StorageHealth } from '../storage/health.js'
import { writeLogRecord, writeSnapshotRecord } from '../storage/records.js'
import type { DocumentStore } from '../storage/store.js'
import { EncodedState, equalBytes } from './encoded-state.js'
import { type HeldFrame, HeldFrames, HOLD_OVERFLOW, type HoldLimits } from './held-frames.js'
import { buildDoc, EMPTY_UPDATE, type LoadedDocument, loadDocument, loadFailure, loadState } from './load.js'
import type { Peer } from './peer.js'
import { Presence, type PresenceLimits } from './presence.js'
import { WriteQueue } from './write-queue.js'

/** Settings a document needs. */
export interface DocumentSettings extends PresenceLimits, HoldLimits {
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

/** How long an encoded state nobody asks for is kept (one loaded at start-up is kept for releaseAfterMs). */
export const ENCODED_STATE_KEEP_MS = 2_000

/** A document in memory, shared by its peers. */
export class SharedDocument {
  /** The peers on the document. */
  readonly peers = new Set<Peer>()
  private readonly presence: Presence
  // The Y.Doc while awake; undefined while dormant.
  private live: Y.Doc | undefined
  // While dormant: the state vector of what is stored.
  private dormantVector: Uint8Array | undefined
  // The current state, encoded once for sync answers (and, while dormant, to wake from); dropped
  // at the next change, and once nobody has asked for it for a while, so idle documents stay small.
  private encoded: EncodedState | undefined
  private encodedTimer: NodeJS.Timeout | undefined
  // While dormant: the storage read the next sync answers wait for.
  private reading: Promise<EncodedState> | undefined
  // Per peer with a sync answer being made or sent: the newest step 1 that came meanwhile. One
  // answer at a time per connection; later requests merge into the newest.
  private readonly answering = new Map<Peer, { next: Uint8Array | undefined }>()
  // While waking: frames that arrived meanwhile, replayed in order once the Y.Doc is back.
  private held: HeldFrames | undefined
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
  // While Yjs applies one update: the changes it reports, queued only once it has finished.
  private applying: PendingUpdate[] | undefined
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
      ctx.metrics.documentsDormant.inc()
      this.keepEncoded(new EncodedState(state.update, state.vector), ctx.settings.releaseAfterMs)
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

  /**
   * About how many bytes the document's state takes: the encoded state when there is one, else
   * what is stored plus what is applied but not yet stored. Cheap; for charging work by size.
   */
  get stateBytes(): number {
    return this.encoded?.update.length ?? this.storedBytes + this.unstoredBytes
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
    this.answering.delete(peer)
    this.presence.leave(peer)
    if (this.peers.size === 0) this.ctx.onIdle(this)
  }

  /**
   * Handle one frame from a peer. `index` is the frame's 1-based position on its connection,
   * echoed in acknowledgements; `bytes` its size on the wire (measured here if not given).
   */
  receive(peer: Peer, frame: Frame, index: number, bytes?: number): void {
    if (this.held) return this.hold({ peer, frame, index, bytes: bytes ?? writeFrame(frame).length })
    switch (frame.type) {
      case 'sync-step1':
        return this.requestAnswer(peer, frame.stateVector)
      case 'sync-step2':
      case 'sync-update':
        if (this.live) return this.applyUpdate(peer, frame.update, index)
        // A client with nothing to add (a fresh one's step 2) need not wake the document.
        return equalBytes(frame.update, EMPTY_UPDATE)
          ? this.acknowledge(peer, index)
          : this.wake({ peer, frame, index, bytes: bytes ?? writeFrame(frame).length })
      case 'awareness': {
        const refusal = this.presence.apply(peer, frame.update)
        return refusal ? this.reject(peer, refusal.code, refusal.reason, 'invalid_awareness') : undefined
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
    this.answering.clear()
    for (const peer of [...this.peers]) peer.close(code, reason)
    this.peers.clear()
    await this.compacting
    if (durable && this.logEntries > 0) {
      try {
        await this.compact(this.live ? undefined : await this.storedState())
      } catch (error) {
        this.ctx.log.error({ doc: this.name, err: error }, 'compaction at unload failed; the log is kept')
      }
    }
    this.ctx.metrics.bytesStored.dec(this.storedBytes)
    this.presence.destroy()
    this.live?.destroy()
    this.live = undefined
    this.dropEncoded()
    if (this.dormantVector) this.ctx.metrics.documentsDormant.dec()
  }

  // Take `ydoc` as the live state: watch it for changes, and release it once they stop.
  private awaken(ydoc: Y.Doc): void {
    if (this.dormantVector) this.ctx.metrics.documentsDormant.dec()
    this.live = ydoc
    this.dormantVector = undefined
    ydoc.on('update', (update: Uint8Array, origin: unknown) => {
      if (this.applying) return void this.applying.push({ update, origin })
      this.write({ update, origin })
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
    // A dormant document's encoded state is what is stored: no need to read it again.
    if (this.encoded) {
      let ydoc: Y.Doc
      try {
        ydoc = buildDoc(this.name, this.encoded.update)
      } catch (error) {
        return this.wakeFailed(error)
      }
      this.awaken(ydoc)
      return this.receive(first.peer, first.frame, first.index, first.bytes)
    }
    this.held = new HeldFrames(this.ctx.settings)
    this.hold(first)
    this.waking = loadDocument(this.ctx.store, this.name).then(
      (loaded) => {
        if (this.closed) return loaded.ydoc.destroy()
        this.awaken(loaded.ydoc)
        const frames = this.held?.take() ?? []
        this.held = undefined
        for (const { peer, frame, index, bytes } of frames) if (this.peers.has(peer)) this.receive(peer, frame, index, bytes)
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
    if (!this.held?.hold(held)) this.reject(held.peer, CloseCode.TryAgainLater, HOLD_OVERFLOW.reason, HOLD_OVERFLOW.metric)
  }

  // One sync answer at a time per peer: a step 1 that comes while the last answer is still being
  // made or sent (a client that does not read) waits, and only the newest waiting one is answered,
  // so no connection can make the server encode or queue the document more than once at a time.
  private requestAnswer(peer: Peer, stateVector: Uint8Array): void {
    const busy = this.answering.get(peer)
    if (busy) {
      // A copy: the frame may be a view into a larger socket buffer.
      busy.next = stateVector.slice()
      return
    }
    this.answering.set(peer, { next: undefined })
    this.answer(peer, stateVector)
  }

  // The last answer to `peer` has left (or never will): answer the step 1 that waited, if any.
  private answered(peer: Peer): void {
    const state = this.answering.get(peer)
    if (!state) return
    const next = state.next
    if (next === undefined || !this.peers.has(peer)) return void this.answering.delete(peer)
    state.next = undefined
    this.answer(peer, next)
  }

  private answer(peer: Peer, stateVector: Uint8Array): void {
    this.encodedTimer?.refresh()
    if (this.live) return this.answerLive(peer, stateVector)
    // Dormant: from the encoded state, or from storage, which holds everything (a document goes
    // dormant only once flushed). Concurrent requests share one read.
    if (this.encoded) return this.answerFrom(peer, this.encoded, stateVector)
    const changes = this.changes
    this.reading ??= loadState(this.ctx.store, this.name).then(({ state }) => {
      const encoded = new EncodedState(state.update, state.vector)
      // Changes since the read began make it out of date for later requests (still right for this one).
      if (this.changes === changes && !this.closed) this.keepEncoded(encoded)
      return encoded
    })
    const reading = this.reading
    reading.then(
      (encoded) => {
        if (this.reading === reading) this.reading = undefined
        if (this.peers.has(peer)) this.answerFrom(peer, encoded, stateVector)
      },
      (error: unknown) => {
        if (this.reading === reading) this.reading = undefined
        this.answering.delete(peer)
        this.ctx.log.error({ doc: this.name, err: error }, 'reading the document for a client failed')
        const failure = loadFailure(error)
        peer.close(failure.code, failure.reason)
      }
    )
  }

  private answerFrom(peer: Peer, encoded: EncodedState, stateVector: Uint8Array): void {
    let frame: Uint8Array
    try {
      frame = encoded.answer(stateVector)
    } catch {
      this.answering.delete(peer)
      return this.reject(peer, CloseCode.InvalidUpdate, 'state vector could not be decoded')
    }
    this.sendAnswer(peer, frame)
  }

  private answerLive(peer: Peer, stateVector: Uint8Array): void {
    const ydoc = this.live as Y.Doc
    const encoded = this.encoded ?? this.keepEncoded(new EncodedState(Y.encodeStateAsUpdate(ydoc), Y.encodeStateVector(ydoc)))
    let frame: Uint8Array
    try {
      frame = encoded.answer(stateVector)
    } catch {
      this.answering.delete(peer)
      return this.reject(peer, CloseCode.InvalidUpdate, 'state vector could not be decoded')
    }
    // The answer may include updates still being written: it leaves only once they are stored.
    this.queue.whenDurable((error) => {
      if (error) return void this.answering.delete(peer)
      this.sendAnswer(peer, frame)
    })
  }

  private sendAnswer(peer: Peer, frame: Uint8Array): void {
    this.ctx.metrics.countOut('sync-step2')
    peer.send(frame, () => this.answered(peer))
  }

  // Hold `encoded` as the current state until the next change, or until unused for `keepMs`.
  private keepEncoded(encoded: EncodedState, keepMs = Math.min(ENCODED_STATE_KEEP_MS, this.ctx.settings.releaseAfterMs)): EncodedState {
    this.dropEncoded()
    this.encoded = encoded
    this.encodedTimer = setTimeout(() => this.dropEncoded(), keepMs)
    this.encodedTimer.unref()
    return encoded
  }

  private dropEncoded(): void {
    clearTimeout(this.encodedTimer)
    this.encodedTimer = undefined
    this.encoded = undefined
  }

  // Only called while awake.
  private applyUpdate(peer: Peer, received: Uint8Array, index: number): void {
    const ydoc = this.live as Y.Doc
    // A copy the exact size of the update: Yjs must not read past it into the socket's buffer.
    const update = received.slice()
    const shape = checkUpdate(update, this.ctx.settings.updateLimits)
    if (!shape.ok) return this.reject(peer, CloseCode.InvalidUpdate, shape.reason)
    // Decoded once for the checks against the document (Yjs decodes it again to apply it). Yjs
    // decodes with the same functions, so once this succeeds, applying can fail only while integrating.
    let decoded: DecodedUpdate
    try {
      decoded = Y.decodeUpdate(update)
    } catch {
      return this.reject(peer, CloseCode.InvalidUpdate, 'update is malformed')
    }
    const tooCostly = this.costRefusal(ydoc, decoded)
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
    // Updates Yjs holds for missing dependencies; legitimate clients never pile them up. One that
    // would wait whole and overflow is refused before it is applied, so what others wait for stays.
    const maxPending = this.ctx.settings.maxPendingBytes
    if (pendingBytes(ydoc) + update.length > maxPending && waitsWhole(ydoc, decoded)) return this.refusePending(peer)
    const restorePending = savePending(ydoc)
    const changes: PendingUpdate[] = []
    this.applying = changes
    try {
      Y.applyUpdate(ydoc, update, peer)
    } catch (error) {
      this.applying = undefined
      return this.applyFailed(peer, error)
    }
    this.applying = undefined
    for (const change of changes) this.write(change)
    if (pendingBytes(ydoc) > maxPending) {
      // Part of it went in and the rest overflowed: what went in is written like any change (memory
      // and storage must agree), and only what it left waiting goes.
      restorePending()
      return this.refusePending(peer)
    }
    this.acknowledge(peer, index)
  }

  private refusePending(peer: Peer): void {
    this.reject(peer, CloseCode.InvalidUpdate, 'too many updates with missing dependencies')
  }

  // Store a change Yjs made (and relay it once stored).
  private write(change: PendingUpdate): void {
    this.dropEncoded()
    this.unstoredBytes += change.update.length
    this.changes++
    this.releaseTimer?.refresh()
    this.queue.push(change)
  }

  // Yjs threw while integrating: it may have changed memory halfway (integrated some structs,
  // linked an item it never stored), so this Y.Doc no longer matches storage. Nothing of the
  // update is stored or relayed, the Y.Doc is never compacted or answered from again, and the
  // document is dropped: its peers reconnect (1011) and load it again from storage. Earlier
  // changes already queued are still written.
  private applyFailed(peer: Peer, error: unknown): void {
    this.ctx.metrics.errors.inc({ kind: 'apply' })
    this.ctx.log.error({ doc: this.name, conn: peer.id, err: error }, 'Yjs failed while applying an update; the document is reloaded from storage')
    this.reject(peer, CloseCode.InvalidUpdate, 'update could not be applied')
    this.live?.destroy()
    this.live = undefined
    this.ctx.onFailed(this, CloseCode.InternalError, 'the document is reloaded from storage after an internal error; reconnect')
  }

  // Why applying an update would cost too much against this document; undefined if it is fine.
  private costRefusal(ydoc: Y.Doc, update: DecodedUpdate): string | undefined {
    try {
      const cost = integrationCost(ydoc, update, this.ctx.settings.integrationBudget)
      return cost.exceeded ? 'update would take too long to apply (concurrent inserts or deletes past the budget)' : undefined
    } catch {
      return 'update is malformed'
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
  // A dormant document writes nothing, so `state` read from storage covers every entry too.
  // Without either (a Y.Doc dropped after a failed apply) the log stays as it is.
  private async compact(state = this.live && Y.encodeStateAsUpdate(this.live)): Promise<void> {
    if (!state) return
    const throughSeq = this.nextSeq - 1
    const covered = { entries: this.logEntries, bytes: this.logBytes }
    const snapshot = writeSnapshotRecord({ timestamp: Date.now(), throughSeq, state })
    await this.ctx.store.compact(this.name, snapshot, throughSeq)
    this.ctx.metrics.bytesStored.inc(snapshot.length - this.snapshotBytes - covered.bytes)
    this.snapshotBytes = snapshot.length
    this.logEntries -= covered.entries
    this.logBytes -= covered.bytes
    this.ctx.metrics.compactions.inc()
  }

  // A document that was only ever read has no Y.Doc, but its log still wants compacting. Its state
  // is rebuilt once, so that deleted content is collected as a live document's snapshot would be.
  private async storedState(): Promise<Uint8Array> {
    const update = this.encoded?.update ?? (await loadState(this.ctx.store, this.name)).state.update
    const ydoc = buildDoc(this.name, update)
    try {
      return Y.encodeStateAsUpdate(ydoc)
    } finally {
      ydoc.destroy()
    }
  }

  private reject(peer: Peer, code: number, reason: string, metric = 'invalid_update'): void {
    this.ctx.log.warn({ doc: this.name, conn: peer.id, code }, reason)
    this.ctx.metrics.rejectedConnections.inc({ reason: metric })
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
