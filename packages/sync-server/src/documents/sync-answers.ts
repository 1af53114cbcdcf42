/**
 * Sync step 2 answers for one document. They come from one encoding of the current state (see
 * EncodedState), made at the first request after a change and kept only while requests keep
 * coming. Each connection has one answer in flight at a time: a step 1 that comes while the last
 * answer is still being made or sent (a client that does not read) waits, and only the newest
 * waiting one is answered, so a flood of step 1s costs one encoding, not one per request. An
 * answer that includes changes still being written leaves only once they are (DV3).
 */
import * as Y from 'yjs'
import type { Metrics } from '../metrics.js'
import { EncodedState } from './encoded-state.js'
import { loadFailure } from './load.js'
import type { Peer } from './peer.js'

/** How long an encoded state nobody asks for is kept (one loaded at start-up is kept for releaseAfterMs). */
export const ENCODED_STATE_KEEP_MS = 2_000

/**
 * What the answers need from their document. The document itself is the source: a separate
 * object of closures would cost every idle document about half a kilobyte.
 */
export interface AnswerSource {
  /** The live Y.Doc; undefined while dormant (everything is then stored). */
  readonly ydoc: Y.Doc | undefined
  /** The peers on the document: no answer goes to one that left. */
  readonly peers: ReadonlySet<Peer>
  /** Applied changes so far, to tell whether a read is out of date. */
  readonly changeCount: number
  readonly isClosed: boolean
  /** Run `callback` once everything applied so far is stored. */
  whenDurable(callback: (error?: Error) => void): void
  /** Read the stored state (through the registry). */
  readStored(): Promise<{ update: Uint8Array; vector: Uint8Array }>
  /** `peer` sent a state vector that does not decode. */
  refuse(peer: Peer, reason: string): void
}

/** The sync answers of one document, and the encoded state they come from. */
export class SyncAnswers {
  // The current state, encoded once for sync answers (and, while dormant, to wake from); dropped
  // at the next change, and once nobody has asked for it for a while, so idle documents stay small.
  private state: EncodedState | undefined
  private timer: NodeJS.Timeout | undefined
  // While dormant: the storage read the next answers wait for.
  private reading: Promise<EncodedState> | undefined
  // Per peer with an answer being made or sent: the newest step 1 that came meanwhile. Made at
  // the first request and dropped when none is in flight, so idle documents do not keep a Map.
  private answering: Map<Peer, { next: Uint8Array | undefined }> | undefined

  constructor(
    private readonly source: AnswerSource,
    private readonly metrics: Metrics,
    private readonly releaseAfterMs: number
  ) {}

  /** The encoded current state, if one is kept. */
  get encoded(): EncodedState | undefined {
    return this.state
  }

  /** Answer `peer`'s step 1, now or once its last answer has left. */
  request(peer: Peer, stateVector: Uint8Array): void {
    const answering = (this.answering ??= new Map())
    const busy = answering.get(peer)
    if (busy) {
      // A copy: the frame may be a view into a larger socket buffer.
      busy.next = stateVector.slice()
      return
    }
    answering.set(peer, { next: undefined })
    this.answer(peer, stateVector)
  }

  /** `peer` left: nothing more is answered to it. */
  forget(peer: Peer): void {
    if (this.answering?.delete(peer) && this.answering.size === 0) this.answering = undefined
  }

  /** Hold `encoded` as the current state until the next change, or until unused for `keepMs`. */
  keep(encoded: EncodedState, keepMs = Math.min(ENCODED_STATE_KEEP_MS, this.releaseAfterMs)): EncodedState {
    this.drop()
    this.state = encoded
    this.timer = setTimeout(() => this.drop(), keepMs)
    this.timer.unref()
    return encoded
  }

  /** The state changed (or the document closes): the encoding is out of date. */
  drop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.state = undefined
  }

  /** The document closes: no more answers. */
  forgetAll(): void {
    this.answering = undefined
  }

  // The last answer to `peer` has left (or never will): answer the step 1 that waited, if any.
  private answered(peer: Peer): void {
    const state = this.answering?.get(peer)
    if (!state) return
    const next = state.next
    if (next === undefined || !this.source.peers.has(peer)) return this.forget(peer)
    state.next = undefined
    this.answer(peer, next)
  }

  private answer(peer: Peer, stateVector: Uint8Array): void {
    this.timer?.refresh()
    const ydoc = this.source.ydoc
    if (ydoc) {
      const encoded = this.state ?? this.keep(new EncodedState(Y.encodeStateAsUpdate(ydoc), Y.encodeStateVector(ydoc)))
      const frame = this.encode(peer, encoded, stateVector)
      // The answer may include updates still being written: it leaves only once they are stored.
      if (frame) this.source.whenDurable((error) => (error ? this.forget(peer) : this.send(peer, frame)))
      return
    }
    // Dormant: from the encoded state, or from storage, which holds everything (a document goes
    // dormant only once flushed). Concurrent requests share one read.
    if (this.state) return this.sendFrom(peer, this.state, stateVector)
    const reading = (this.reading ??= this.read())
    reading.then(
      (encoded) => {
        if (this.reading === reading) this.reading = undefined
        if (this.source.peers.has(peer)) this.sendFrom(peer, encoded, stateVector)
      },
      (error: unknown) => {
        if (this.reading === reading) this.reading = undefined
        this.forget(peer)
        const failure = loadFailure(error)
        peer.close(failure.code, failure.reason)
      }
    )
  }

  private async read(): Promise<EncodedState> {
    const changes = this.source.changeCount
    const state = await this.source.readStored()
    const encoded = new EncodedState(state.update, state.vector)
    // Changes since the read began make it out of date for later requests (still right for this one).
    if (this.source.changeCount === changes && !this.source.isClosed) this.keep(encoded)
    return encoded
  }

  private sendFrom(peer: Peer, encoded: EncodedState, stateVector: Uint8Array): void {
    const frame = this.encode(peer, encoded, stateVector)
    if (frame) this.send(peer, frame)
  }

  private encode(peer: Peer, encoded: EncodedState, stateVector: Uint8Array): Uint8Array | undefined {
    try {
      return encoded.answer(stateVector)
    } catch {
      this.forget(peer)
      this.source.refuse(peer, 'state vector could not be decoded')
      return undefined
    }
  }

  private send(peer: Peer, frame: Uint8Array): void {
    this.metrics.countOut('sync-step2')
    peer.send(frame, () => this.answered(peer))
  }
}
