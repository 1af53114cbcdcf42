/**
 * One connection's life on one document: decode each frame, hold frames while the document
 * loads (a client is never answered from a half-loaded document), then hand them over in order.
 */
import { CloseCode, type Frame, ProtocolError, readFrame } from '@quire/protocol'
import type { Logger } from 'pino'
import type { SharedDocument } from '../documents/document.js'
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
  private queued: Array<[Frame, number]> = []
  private queuedBytes = 0
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
    if (this.doc) return this.doc.receive(this.peer, frame, index)
    this.queuedBytes += bytes.length
    if (this.queued.length >= this.ctx.maxQueuedFrames || this.queuedBytes > 2 * this.ctx.maxMessageBytes) {
      return this.end(CloseCode.TryAgainLater, 'too many messages while the document loads', 'load_queue_full')
    }
    this.queued.push([frame, index])
  }

  /** The socket closed; leave the document. */
  closed(): void {
    this.ended = true
    clearTimeout(this.expiry)
    this.queued = []
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
    const queued = this.queued
    this.queued = []
    for (const [frame, index] of queued) {
      if (this.ended) break
      doc.receive(this.peer, frame, index)
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
