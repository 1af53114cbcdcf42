/**
 * Frames held while a document cannot take them yet: while it loads (held by the connection's
 * session) and while it wakes (held by the document). One mechanism, so both keep the same
 * bounds (LS1, DM2): per connection at most `maxQueuedFrames` frames and twice the message size
 * in bytes. Past either, the connection is refused (1013, counted as `load_queue_full`).
 */
import type { Frame } from '@quire/protocol'
import type { Peer } from './peer.js'

/** The bounds on what one connection may have held. */
export interface HoldLimits {
  /** Frames one connection may send while its document loads or wakes. */
  maxQueuedFrames: number
  /** The largest message; a connection's held frames may total twice this. */
  maxMessageBytes: number
}

/** One held frame, with what it needs to be handled later. */
export interface HeldFrame {
  peer: Peer
  frame: Frame
  /** The frame's 1-based position on its connection, echoed in acknowledgements. */
  index: number
  /** Its size on the wire. */
  bytes: number
}

/** Frames held in arrival order, bounded per connection. */
export class HeldFrames {
  // Made at the first frame held, dropped when taken: every connection has one of these, and
  // nearly all of them never hold anything after their document's load.
  private frames: HeldFrame[] | undefined
  private perPeer: Map<Peer, { frames: number; bytes: number }> | undefined

  constructor(private readonly limits: HoldLimits) {}

  /**
   * Hold one frame. False, holding nothing, if its connection would pass its bounds: the caller
   * then refuses the connection.
   */
  hold(held: HeldFrame): boolean {
    const perPeer = (this.perPeer ??= new Map())
    const used = perPeer.get(held.peer) ?? { frames: 0, bytes: 0 }
    if (used.frames + 1 > this.limits.maxQueuedFrames || used.bytes + held.bytes > 2 * this.limits.maxMessageBytes) return false
    used.frames++
    used.bytes += held.bytes
    perPeer.set(held.peer, used)
    ;(this.frames ??= []).push(held)
    return true
  }

  /** Every held frame in arrival order; holds nothing afterwards. */
  take(): HeldFrame[] {
    const frames = this.frames ?? []
    this.frames = undefined
    this.perPeer = undefined
    return frames
  }
}

/** The message reason and metric label for a connection past its hold bounds. */
export const HOLD_OVERFLOW = { reason: 'too many messages while the document loads', metric: 'load_queue_full' } as const
