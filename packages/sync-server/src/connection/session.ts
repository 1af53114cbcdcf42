/**
 * One connection's life on one document: decode each frame, hold frames while the document
 * loads (a client is never answered from a half-loaded document), then hand them over in order.
 */
import { CloseCode, type Frame, ProtocolError, readFrame } from '@quire/protocol'
import type { Logger } from 'pino'
import type { SharedDocument } from '../documents/document.js'
import { HeldFrames, HOLD_OVERFLOW } from '../documents/held-frames.js'
import { loadFailure } from '../documents/load.js'
import type { Peer } from '../documents/peer.js'
import type { DocumentRegistry } from '../documents/registry.js'
import type { Metrics } from '../metrics.js'

/** What a session needs from the server. */
export interface SessionContext {
  registry: DocumentRegistry
  log: Logger
  metrics: Metrics
  /** Frames a connection may send before its document has loaded. */
  maxQueuedFrames: number
  /** Their total size may not pass this either. */
  maxMessageBytes: number
  /** Average messages per second allowed; 0 for no limit. */
  rateLimit: number
  /** Messages allowed in a burst above the average. */
  rateBurst: number
}

// Timers longer than this overflow; a longer expiry is re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1

/** The protocol state of one connection. */
export class Session {
  private doc: SharedDocument | undefined
  private readonly held: HeldFrames
  private frames = 0
  private ended = false
  private tokens: number
  private refilledAt = performance.now()
  private expiry: NodeJS.Timeout | undefined

  constructor(
    private readonly peer: Peer,
    private readonly name: string,
    private readonly ctx: SessionContext,
    expiresAt?: number
  ) {
    this.held = new HeldFrames(ctx)
    this.tokens = ctx.rateBurst
    if (expiresAt !== undefined) this.expireAt(expiresAt * 1000)
    void this.attach()
  }

  /** Handle one message from the socket. */
  receive(bytes: Uint8Array): void {
    if (this.ended) return
    if (!this.withinRate()) return this.end(CloseCode.RateLimited, 'too many messages; slow down and reconnect', 'rate_limited')
    const index = ++this.frames
    let frame: Frame
    try {
      frame = readFrame(bytes)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      return this.end(error.closeCode, error.message, 'malformed_message')
    }
    this.ctx.metrics.countIn(frame.type)
    if (this.doc) return this.doc.receive(this.peer, frame, index, bytes.length)
    if (!this.held.hold({ peer: this.peer, frame, index, bytes: bytes.length })) {
      return this.end(CloseCode.TryAgainLater, HOLD_OVERFLOW.reason, HOLD_OVERFLOW.metric)
    }
  }

  /** The socket closed; leave the document. */
  closed(): void {
    this.ended = true
    clearTimeout(this.expiry)
    this.held.take()
    this.doc?.leave(this.peer)
    this.doc = undefined
  }

  private async attach(): Promise<void> {
    let doc: SharedDocument
    try {
      do doc = await this.ctx.registry.open(this.name)
      while (doc.isClosed)
    } catch (error) {
      const failure = loadFailure(error)
      return this.end(failure.code, failure.reason, failure.metric)
    }
    if (this.ended) return
    doc.join(this.peer)
    this.doc = doc
    for (const { frame, index, bytes } of this.held.take()) {
      if (this.ended) break
      doc.receive(this.peer, frame, index, bytes)
    }
  }

  // Token bucket: rateBurst messages at once, refilled at rateLimit per second.
  private withinRate(): boolean {
    if (this.ctx.rateLimit === 0) return true
    const now = performance.now()
    this.tokens = Math.min(this.ctx.rateBurst, this.tokens + ((now - this.refilledAt) / 1000) * this.ctx.rateLimit)
    this.refilledAt = now
    if (this.tokens < 1) return false
    this.tokens--
    return true
  }

  private expireAt(epochMs: number): void {
    const wait = epochMs - Date.now()
    this.expiry = setTimeout(
      () => (wait > MAX_TIMER_MS ? this.expireAt(epochMs) : this.end(CloseCode.Unauthorized, 'token expired; reconnect with a new token', 'token_expired')),
      Math.max(0, Math.min(wait, MAX_TIMER_MS))
    )
    this.expiry.unref()
  }

  private end(code: number, reason: string, metricReason: string): void {
    this.ctx.log.warn({ doc: this.name, conn: this.peer.id, code }, reason)
    this.ctx.metrics.rejectedConnections.inc({ reason: metricReason })
    this.peer.close(code, reason)
  }
}
