/**
 * One loaded document: its peers, presence, state and log. Keeps the promises that live at this
 * layer: an update is stored before any peer sees it (relays, acknowledgements and sync answers
 * wait on the log, DV1–DV3), every peer's frames are handled in order, and an update Yjs fails
 * to apply leaves no trace (HI3).
 *
 * A document is awake (a Y.Doc), dormant (only what is stored) or waking (reading it back). It
 * starts dormant, answering readers from the bytes it was loaded as, and builds its Y.Doc at the
 * first change. One nobody has changed for `releaseAfterMs` goes dormant again (DM1): its log is
 * compacted and its Y.Doc dropped, keeping only the state vector. The next change wakes it (DM2),
 * holding every frame that arrives meanwhile, in order. Idle readers thus cost their sockets, not
 * a copy of the document.
 *
 * What it delegates: applying an update and collecting what Yjs reports (integration.ts), changes
 * the server makes itself (server-change.ts), what other instances store (remote-changes.ts),
 * numbering and writing what changed (log.ts), sync answers (sync-answers.ts) and versions
 * (history/recorder.ts). It is itself what those call back into.
 */
import { CloseCode, type Frame, writeFrame, writeHistoryEvent } from '@quire/protocol'
import * as Y from 'yjs'
import { TOO_MUCH_PENDING } from '../guard/update-admission.js'
import { ANONYMOUS, type Author, authorOf, vouchedAuthors } from '../history/authors.js'
import { HistoryRecorder, type RecorderOwner } from '../history/recorder.js'
import { versionView } from '../history/versions.js'
import type { VersionMeta } from '../storage/history-records.js'
import type { DocumentContext } from './context.js'
import type { DocumentState } from './dormancy.js'
import { EncodedState, equalBytes } from './encoded-state.js'
import { type HeldFrame, HeldFrames, HOLD_OVERFLOW } from './held-frames.js'
import { type Integration, Integrator } from './integration.js'
import { EMPTY_UPDATE, type LoadedDocument, loadFailure } from './load.js'
import { DELETED_REASON, DocumentLog, type LogOwner, type PendingUpdate } from './log.js'
import type { Peer } from './peer.js'
import { PeerSet } from './peer-set.js'
import { Presence } from './presence.js'
import type { RemoteFollow } from './remote.js'
import { RemoteChanges, type RemoteOwner } from './remote-changes.js'
import { type ChangeTarget, DocumentUnavailableError } from './server-change.js'
import { type AnswerSource, SyncAnswers } from './sync-answers.js'

/**
 * A document in memory, shared by its peers. It is itself what its log and its sync answers call
 * back into: thousands of idle documents each paying for objects of closures is what made them cost
 * more than the classic server's.
 */
export class SharedDocument implements LogOwner, AnswerSource, RecorderOwner, ChangeTarget, RemoteOwner {
  /** The peers on the document. */
  readonly peers: PeerSet
  private readonly presence: Presence
  private state: DocumentState
  private readonly answers: SyncAnswers
  private readonly log: DocumentLog
  // Made at the first change or history request: an idle reader's document costs nothing for history.
  private recorder: HistoryRecorder | undefined
  private releaseTimer: NodeJS.Timeout | undefined
  // Counts applied updates, so a release can tell whether one came while it compacted.
  private changes = 0
  private closed = false
  // Nothing stored yet: the first stored change creates the document (for events).
  private fresh: boolean
  // Cluster mode: what other instances store reaches the document through this.
  private readonly remote: RemoteChanges | undefined

  /** `follow`, in cluster mode, brings what other instances store and send (CL3–CL5). */
  constructor(
    readonly name: string,
    loaded: LoadedDocument,
    private readonly ctx: DocumentContext,
    private readonly follow?: RemoteFollow
  ) {
    this.fresh = loaded.snapshotBytes === 0 && loaded.logEntries === 0
    this.peers = new PeerSet(name, ctx)
    this.log = new DocumentLog(name, loaded, ctx, this)
    this.answers = new SyncAnswers(this, ctx.metrics, ctx.settings.releaseAfterMs)
    this.presence = new Presence(ctx.settings, (update, local) => {
      this.peers.broadcast(writeFrame({ type: 'awareness', update }), 'awareness')
      if (local) follow?.presence(update)
    })
    this.remote = follow ? new RemoteChanges(this, this.log) : undefined
    if (loaded.ydoc) {
      this.state = this.watch(loaded.ydoc)
    } else {
      // Loaded as bytes: readers are answered from them; the Y.Doc is built at the first change.
      const { update, vector } = loaded.state as NonNullable<LoadedDocument['state']>
      this.state = { kind: 'dormant', vector }
      ctx.metrics.documentsDormant.inc()
      this.answers.keep(new EncodedState(update, vector), ctx.settings.releaseAfterMs)
    }
    if (this.remote) follow?.start(this.remote)
  }

  /** Versions: who changed the document since the last one, and when to cut the next (HS1–HS4). */
  get history(): HistoryRecorder {
    this.recorder ??= new HistoryRecorder(this.ctx, this)
    return this.recorder
  }

  /** The Y.Doc, or undefined while the document is dormant. */
  get ydoc(): Y.Doc | undefined {
    return this.state.kind === 'awake' ? this.state.ydoc : undefined
  }

  /** Presence (awareness) states by client id. */
  get presenceStates(): ReadonlyMap<number, unknown> {
    return this.presence.states
  }

  /**
   * About how many bytes the document's state takes: the encoded state when there is one, else
   * what is stored plus what is applied but not yet stored. Cheap; for charging work by size.
   */
  get stateBytes(): number {
    return this.answers.encoded?.update.length ?? this.log.totalBytes
  }

  /** What is stored for the document: bytes (snapshot and log), when its latest change was written, and its connected clients. */
  get facts(): { bytes: number; changedAt: number | undefined; clients: number } {
    return { bytes: this.log.storedBytes, changedAt: this.log.changedAt, clients: this.peers.size }
  }

  /** True once the document has been closed; a closed document takes no peers. */
  get isClosed(): boolean {
    return this.closed
  }

  /** Changes applied since it was loaded (for the sync answers: is a read out of date?). */
  get changeCount(): number {
    return this.changes
  }

  /** Run `callback` once everything applied so far is stored. */
  whenDurable(callback: (error?: Error) => void): void {
    this.log.whenDurable(callback)
  }

  /** The stored state, read through the registry (for sync answers while dormant). */
  async readStored(): Promise<{ update: Uint8Array; vector: Uint8Array }> {
    return (await this.ctx.read.state(this.name)).state
  }

  /** Close `peer` for sending a sync message that does not decode. */
  refuse(peer: Peer, reason: string): void {
    this.peers.reject(peer, CloseCode.InvalidUpdate, reason)
  }

  /** For the log: the state as one update, or undefined when memory cannot be trusted. */
  currentState(): Uint8Array | undefined {
    return this.state.kind === 'awake' ? Y.encodeStateAsUpdate(this.state.ydoc) : undefined
  }

  /** For the log (cluster mode): apply what other instances stored; undefined in one process. */
  catchUp(): Promise<void> | undefined {
    return this.follow?.catchUp()
  }

  /** For history: the stored state as one update. */
  async storedState(): Promise<Uint8Array> {
    return (await this.readState()).update
  }

  /** For history: a version was cut or restored; tell the clients that asked to hear of it. */
  announce(event: 'version' | 'restore', version: VersionMeta): void {
    const bytes = writeFrame({ type: 'history', json: writeHistoryEvent({ event, version: versionView(version) }) })
    this.peers.broadcast(bytes, 'history', undefined, 'history')
  }

  /** For the log: a write failed, so the document must go. */
  writeFailed(code: number, reason: string): void {
    this.ctx.onFailed(this, code, reason)
  }

  /** Add a peer and start the sync: our state vector, then who is present. */
  join(peer: Peer): void {
    if (this.closed || this.state.kind === 'failed') throw new Error(`document "${this.name}" is closed`)
    this.peers.add(peer)
    this.presence.join(peer)
    const vector = this.state.kind === 'awake' ? Y.encodeStateVector(this.state.ydoc) : this.state.vector
    this.peers.send(peer, { type: 'sync-step1', stateVector: vector })
    if (this.presence.states.size > 0) this.peers.send(peer, { type: 'awareness', update: this.presence.encodeAll() })
  }

  /** Remove a peer and the awareness states it controlled. */
  leave(peer: Peer): void {
    if (!this.peers.delete(peer)) return
    this.answers.forget(peer)
    this.presence.leave(peer)
    if (this.peers.size === 0) this.ctx.onIdle(this)
  }

  /**
   * Handle one frame from a peer. `index` is the frame's 1-based position on its connection,
   * echoed in acknowledgements; `bytes` its size on the wire (measured here if not given).
   */
  receive(peer: Peer, frame: Frame, index: number, bytes?: number): void {
    if (this.state.kind === 'waking') return this.hold(this.state.held, { peer, frame, index, bytes: bytes ?? writeFrame(frame).length })
    // Its peers are being closed; they resync when they reconnect.
    if (this.state.kind === 'failed') return
    switch (frame.type) {
      case 'sync-step1': {
        // Cluster mode: answer from what is stored now, not from a copy behind its feed (just
        // after an outage, a lost doorbell): a client that saw a change on another instance
        // finds it here (CL8). If Redis does not answer, the copy answers as it is.
        const reading = this.follow?.readOnce()
        if (!reading) return this.answers.request(peer, frame.stateVector)
        const vector = frame.stateVector.slice()
        void reading.catch(() => undefined).then(() => (this.peers.has(peer) && !this.closed ? this.answers.request(peer, vector) : undefined))
        return
      }
      case 'sync-step2':
      case 'sync-update':
        if (this.state.kind === 'awake') return this.applyUpdate(peer, frame.update, index)
        // A client with nothing to add (a fresh one's step 2) need not wake the document.
        if (equalBytes(frame.update, EMPTY_UPDATE)) return this.acknowledge(peer, index)
        return this.wake(this.state.vector, { peer, frame, index, bytes: bytes ?? writeFrame(frame).length })
      case 'awareness': {
        const refusal = this.presence.apply(peer, frame.update)
        return refusal ? this.peers.reject(peer, refusal.code, refusal.reason, 'invalid_awareness') : undefined
      }
      case 'query-awareness':
        return this.peers.send(peer, { type: 'awareness', update: this.presence.encodeAll() })
      // Server-to-client messages carry nothing for us.
      case 'permission-denied':
      case 'ack':
      case 'history':
        return
    }
  }

  /**
   * The document's state as one update and its state vector, everything in it durable (a change
   * applied but not yet stored is waited for). Does not wake a dormant document.
   */
  async readState(): Promise<{ update: Uint8Array; vector: Uint8Array }> {
    for (;;) {
      const state = this.state
      if (this.closed || state.kind === 'failed') throw new DocumentUnavailableError(this.name, 'it is closing')
      if (state.kind === 'waking') {
        await state.done
        continue
      }
      if (state.kind === 'awake') {
        // Encoded first, then waited on: everything the encoding holds was pushed before the wait.
        const read = { update: Y.encodeStateAsUpdate(state.ydoc), vector: Y.encodeStateVector(state.ydoc) }
        await this.log.flushed()
        return read
      }
      const encoded = this.answers.encoded
      if (encoded) return { update: encoded.update, vector: state.vector }
      const stored = (await this.ctx.read.state(this.name)).state
      // It may have woken (and changed) while storage was read: read again from memory.
      if (this.state.kind === 'dormant') return stored
    }
  }

  /** Resolves once the document is awake; wakes it if it is dormant. */
  async awake(): Promise<void> {
    for (;;) {
      const state = this.state
      if (this.closed || state.kind === 'failed') throw new DocumentUnavailableError(this.name, 'it is closing')
      if (state.kind === 'awake') return
      if (state.kind === 'waking') await state.done
      else this.wake(state.vector)
    }
  }

  /**
   * Judge and apply one update to the awake document (a peer's, or one the server makes); what
   * it changed is queued for writing. A refusal of a peer's update is counted when its connection
   * is closed; Yjs throwing drops the document (HI3).
   */
  integrate(update: Uint8Array, origin: unknown, access: 'read' | 'write'): Integration {
    if (this.state.kind !== 'awake') throw new Error(`document "${this.name}" is not awake`)
    const result = this.state.integrator.apply(update, origin, access, this.log.totalBytes, this.ctx.settings)
    if (result.verdict === 'denied') this.ctx.metrics.rejectedUpdates.inc({ reason: result.metric })
    if (result.verdict === 'refused' && !this.peers.has(origin as Peer)) this.ctx.metrics.rejectedUpdates.inc({ reason: 'invalid_update' })
    if (result.verdict === 'failed') this.applyFailed(origin, result.error)
    return result
  }

  /** Resolves when everything applied so far is stored. */
  flushed(): Promise<void> {
    return this.log.flushed()
  }

  /** Resolves when everything applied so far is stored and no compaction is running. */
  async settled(): Promise<void> {
    if (this.state.kind === 'waking') await this.state.done
    await this.log.flushed()
    await this.log.idle()
  }

  /**
   * Close the document: wait for pending writes, end any remaining peers with `code`, compact
   * what the log holds, free memory. Never rejects; failures are logged.
   */
  async close(code: number = CloseCode.GoingAway, reason = 'server shutting down'): Promise<void> {
    if (this.closed) return
    this.closed = true
    // A deleted document writes nothing more: no last version, no compaction (CL11).
    let durable = code !== CloseCode.DocumentDeleted
    try {
      await this.log.flushed()
    } catch {
      durable = false
    }
    clearTimeout(this.releaseTimer)
    if (this.state.kind === 'waking') this.state.held.take()
    this.answers.forgetAll()
    for (const peer of [...this.peers]) peer.close(code, reason)
    this.peers.clear()
    // Cut the last version first: a release cutting one meanwhile finishes, and any compaction it
    // then starts is waited for just below, so nothing of this copy is written after it closed.
    if (durable) await this.recorder?.close(true)
    await this.log.idle()
    if (durable && this.log.entries > 0) {
      try {
        // A document that was only ever read has no Y.Doc, but its log still wants compacting.
        await (this.ydoc ? this.log.compact() : this.log.compactStored(this.answers.encoded?.update ?? (await this.ctx.read.state(this.name)).state.update))
      } catch (error) {
        this.ctx.log.error({ doc: this.name, err: error }, 'compaction at unload failed; the log is kept')
      }
    }
    this.follow?.stop()
    this.log.release()
    this.presence.destroy()
    this.answers.drop()
    if (this.state.kind === 'awake') this.state.ydoc.destroy()
    else if (this.state.kind !== 'failed') this.ctx.metrics.documentsDormant.dec()
    this.state = { kind: 'failed' }
  }

  // Take `ydoc`, rebuilt from storage (`stored`, when at hand), as the live state.
  private awaken(ydoc: Y.Doc, stored?: Uint8Array): void {
    this.ctx.metrics.documentsDormant.dec()
    const state = this.watch(ydoc, stored)
    this.state = state
    this.remote?.awoke(state.integrator)
  }

  // Store every change Yjs makes to `ydoc`, and release it once they stop.
  private watch(ydoc: Y.Doc, stored?: Uint8Array): DocumentState & { kind: 'awake' } {
    this.history.watch(ydoc, () => stored ?? Y.encodeStateAsUpdate(ydoc))
    const integrator = new Integrator(ydoc, this)
    clearTimeout(this.releaseTimer)
    this.releaseTimer = setTimeout(() => void this.release(), this.ctx.settings.releaseAfterMs)
    this.releaseTimer.unref()
    return { kind: 'awake', ydoc, integrator }
  }

  // Go dormant if nothing changed for releaseAfterMs: write everything, compact (so waking reads
  // one snapshot), keep the state vector, drop the Y.Doc. Any change meanwhile keeps it awake.
  private async release(): Promise<void> {
    const ydoc = this.ydoc
    if (!ydoc || this.closed) return
    const changes = this.changes
    try {
      await this.settled()
      // Going dormant ends a version (HS2): the Y.Doc it is cut from is about to go.
      await this.recorder?.close(false)
      // Closed meanwhile: close() compacts, and must be the last to write.
      if (this.closed) return
      if (this.log.entries > 0) await this.log.compactInBackground()
    } catch {
      return // a failed write drops the document; its failure is logged there
    }
    if (this.ydoc !== ydoc || this.closed || this.changes !== changes) return
    if (this.log.entries > 0 || this.log.pending > 0) {
      this.releaseTimer?.refresh()
      return
    }
    this.releaseTimer = undefined
    this.state = { kind: 'dormant', vector: Y.encodeStateVector(ydoc) }
    this.ctx.metrics.documentsDormant.inc()
    ydoc.destroy()
    // Its versions are all stored: an idle document keeps no recorder (one is made at the next change).
    if (this.recorder?.idle) this.recorder = undefined
  }

  // Rebuild the Y.Doc, holding `first` (if a peer's frame woke it) and every frame after it until it is back.
  private wake(vector: Uint8Array, first?: HeldFrame): void {
    // A dormant document's encoded state is what is stored: no need to read it again.
    const encoded = this.answers.encoded
    if (encoded) {
      let ydoc: Y.Doc
      try {
        ydoc = this.ctx.read.build(this.name, encoded.update)
      } catch (error) {
        return this.wakeFailed(error)
      }
      this.awaken(ydoc, encoded.update)
      return first ? this.receive(first.peer, first.frame, first.index, first.bytes) : undefined
    }
    const held = new HeldFrames(this.ctx.settings)
    const done = this.ctx.read.ydoc(this.name).then(
      (loaded) => {
        if (this.closed) return loaded.ydoc.destroy()
        // Deleted while it slept, and perhaps made again since: this copy is done (CL11).
        if ((loaded.generation ?? 0) !== this.log.generation) {
          loaded.ydoc.destroy()
          this.state = { kind: 'dormant', vector }
          held.take()
          return this.deleted()
        }
        this.awaken(loaded.ydoc)
        for (const { peer, frame, index, bytes } of held.take()) if (this.peers.has(peer)) this.receive(peer, frame, index, bytes)
      },
      (error: unknown) => {
        held.take()
        if (!this.closed) this.state = { kind: 'dormant', vector }
        this.wakeFailed(error)
      }
    )
    this.state = { kind: 'waking', vector, held, done }
    if (first) this.hold(held, first)
  }

  // The registry has counted and logged the failure.
  private wakeFailed(error: unknown): void {
    const failure = loadFailure(error)
    this.ctx.onFailed(this, failure.code, failure.reason)
  }

  private hold(held: HeldFrames, frame: HeldFrame): void {
    if (!held.hold(frame)) this.peers.reject(frame.peer, CloseCode.TryAgainLater, HOLD_OVERFLOW.reason, HOLD_OVERFLOW.metric)
  }

  private applyUpdate(peer: Peer, received: Uint8Array, index: number): void {
    // A copy the exact size of the update: Yjs must not read past it into the socket's buffer.
    const result = this.integrate(received.slice(), peer, peer.access)
    switch (result.verdict) {
      case 'refused':
        return this.peers.reject(peer, CloseCode.InvalidUpdate, result.reason)
      case 'denied':
        return this.peers.send(peer, { type: 'permission-denied', reason: result.reason })
      case 'failed':
        return
      case 'applied':
        // Part of it went in and the rest overflowed: only what it left waiting goes.
        if (result.overflow) return this.peers.reject(peer, CloseCode.InvalidUpdate, TOO_MUCH_PENDING)
    }
    this.acknowledge(peer, index)
  }

  /** For the integrator: store a change Yjs made (and relay it once stored). */
  write(change: PendingUpdate): void {
    this.answers.drop()
    this.changes++
    this.releaseTimer?.refresh()
    this.log.push(change)
  }

  // Yjs threw while integrating: it may have changed memory halfway (integrated some structs,
  // linked an item it never stored), so this Y.Doc no longer matches storage. Nothing of the
  // update is stored or relayed, the Y.Doc is never compacted or answered from again, and the
  // document is dropped: its peers reconnect (1011) and load it again from storage. Earlier
  // changes already queued are still written.
  // (`origin` is the peer that sent it, a server change, or another instance's stored change.)
  applyFailed(origin: unknown, error: unknown): void {
    const peer = this.peers.has(origin as Peer) ? (origin as Peer) : undefined
    this.ctx.metrics.errors.inc({ kind: 'apply' })
    this.ctx.log.error({ doc: this.name, conn: peer?.id, err: error }, 'Yjs failed while applying an update; the document is reloaded from storage')
    if (peer) this.peers.reject(peer, CloseCode.InvalidUpdate, 'update could not be applied')
    this.ydoc?.destroy()
    this.state = { kind: 'failed' }
    this.ctx.onFailed(this, CloseCode.InternalError, 'the document is reloaded from storage after an internal error; reconnect')
  }

  /** Who made a change: a peer's token user (verified) or presence name (not), or what a server-made change says. */
  authorOf(origin: unknown): Author {
    if (!this.peers.has(origin as Peer)) return authorOf(origin)
    const peer = origin as Peer
    const shown = this.presence.userOf(peer)
    if (peer.user !== undefined) return { name: peer.user, verified: true, color: shown.color ?? null }
    return { name: shown.name ?? ANONYMOUS, verified: false, color: shown.color ?? null }
  }

  /** Cluster mode: how many times the name had been deleted when this copy was read (CL11). */
  get generation(): number {
    return this.log.generation
  }

  /** For the feed (cluster mode): the integrator while awake, else how far the document is from one. */
  remoteState(): Integrator | 'waking' | 'dormant' | 'gone' {
    if (this.closed || this.state.kind === 'failed') return 'gone'
    return this.state.kind === 'awake' ? this.state.integrator : this.state.kind
  }

  /** For the feed: stored changes from elsewhere are about to come in. */
  changedElsewhere(): void {
    this.answers.drop()
    this.changes++
    // Created elsewhere: the created event was that instance's to send (WH, once per change).
    this.fresh = false
  }

  /** For the feed: other instances stored these changes (CL3); they are durable, so relayed at once. */
  relayStored(updates: Uint8Array[]): void {
    for (const update of updates) this.peers.broadcast(writeFrame({ type: 'sync-update', update }), 'sync-update')
  }

  /** For the feed: presence from another instance's peers. */
  presenceFromElsewhere(update: Uint8Array): void {
    if (!this.closed && this.state.kind !== 'failed') this.presence.applyRemote(update)
  }

  /** For the feed: a stored entry does not decode. */
  damaged(error: Error): void {
    this.wakeFailed(error)
  }

  /** For the feed: deleted by another instance (CL11); its peers are told with 4410 and the document goes. */
  deleted(): void {
    if (this.closed) return
    this.ctx.log.info({ doc: this.name }, 'the document was deleted on another instance; closing its clients')
    this.ctx.onFailed(this, CloseCode.DocumentDeleted, DELETED_REASON)
  }

  private acknowledge(peer: Peer, index: number): void {
    if (peer.extensions.has('ack')) this.log.whenDurable((error) => (error ? undefined : this.peers.send(peer, { type: 'ack', index })))
  }

  /** For the log: changes are written; relay them, then report them to whoever listens (webhooks). */
  written(items: PendingUpdate[]): void {
    this.relay(items)
    const events = this.ctx.events
    if (!events) return
    const authors = vouchedAuthors(items.map((item) => this.authorOf(item.origin)))
    if (this.fresh) events.created(this.name, this.log.storedBytes, authors)
    this.fresh = false
    events.changed(this.name, this.log.storedBytes, authors)
  }

  // Relay each change to every peer but the one it came from.
  private relay(items: PendingUpdate[]): void {
    for (const item of items) this.peers.broadcast(writeFrame({ type: 'sync-update', update: item.update }), 'sync-update', item.origin)
  }
}
