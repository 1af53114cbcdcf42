/**
 * One connection's life on one document: decode each frame, hold frames while the document
 * loads (a client is never answered from a half-loaded document), then hand them over in order.
 * Each message is charged to the connection's token bucket by the work it causes; a connection
 * in debt is read no further until the debt is refilled (README, "Limits"), so a fast sender is
 * slowed down by TCP flow control instead of being cut off.
 */
import { CloseCode, type Frame, ProtocolError, readFrame } from '@quire/protocol'
import type { Logger } from 'pino'
import type { SharedDocument } from '../documents/document.js'
import { HeldFrames, HOLD_OVERFLOW } from '../documents/held-frames.js'
import { loadFailure } from '../documents/load.js'
import type { Peer } from '../documents/peer.js'
import type { DocumentRegistry } from '../documents/registry.js'
import type { Metrics } from '../metrics.js'
import { refusalLog } from '../refusal-log.js'
import type { Place } from './connection-counts.js'
import { messageCost, TokenBucket } from './token-bucket.js'

/** Control over reading a connection's socket, given by the transport. */
export interface Reading {
  /** Stop reading the socket: frames already read may still arrive. */
  pause(): void
  /** Read the socket again. */
  resume(): void
}

/** What a session needs from the server. */
export interface SessionContext {
  registry: DocumentRegistry
  log: Logger
  metrics: Metrics
  /** Frames a connection may send before its document has loaded. */
  maxQueuedFrames: number
  /** Their total size may not pass this either. */
  maxMessageBytes: number
  /** Tokens (see token-bucket.ts) refilled per second; 0 for no limit. */
  rateLimit: number
  /** Tokens a connection may spend at once. */
  rateBurst: number
  /** Bytes a paused connection may still deliver before it is closed (4529). */
  maxUnreadBytes: number
}

// Timers longer than this overflow; a longer expiry is re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1

/** The protocol state of one connection. */
export class Session {
  private doc: SharedDocument | undefined
  private readonly held: HeldFrames
  private frames = 0
  private ended = false
  private expiry: NodeJS.Timeout | undefined
  private readonly bucket: TokenBucket | undefined
  // While paused: messages the socket delivered anyway (already read), handled in order later.
  private unread: Uint8Array[] = []
  private unreadBytes = 0
  private paused = false
  private resumeTimer: NodeJS.Timeout | undefined

  private readonly name: string
  private readonly place: Place

  /** `admitted` is the upgrade's admission: its document, its token's expiry and the connection place it holds until the socket closes. */
  constructor(
    private readonly peer: Peer,
    admitted: { name: string; expiresAt: number | undefined; place: Place },
    private readonly ctx: SessionContext,
    private readonly reading: Reading
  ) {
    this.name = admitted.name
    this.place = admitted.place
    const { expiresAt } = admitted
    this.held = new HeldFrames(ctx)
    if (ctx.rateLimit > 0) this.bucket = new TokenBucket(ctx.rateLimit, ctx.rateBurst)
    if (expiresAt !== undefined) this.expireAt(expiresAt * 1000)
    void this.attach()
  }

  /** Handle one message from the socket. */
  receive(bytes: Uint8Array): void {
    if (this.ended) return
    if (this.paused) return this.holdUnread(bytes)
    this.handle(bytes)
    this.pauseWhileInDebt()
  }

  /** The socket closed; leave the document. */
  closed(): void {
    this.place.release()
    this.ended = true
    clearTimeout(this.expiry)
    clearTimeout(this.resumeTimer)
    this.held.take()
    this.unread = []
    this.doc?.leave(this.peer)
    this.doc = undefined
  }

  private handle(bytes: Uint8Array): void {
    const index = ++this.frames
    let frame: Frame
    try {
      frame = readFrame(bytes)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      return this.end(error.closeCode, error.message, 'malformed_message')
    }
    this.ctx.metrics.countIn(frame.type)
    // A sync step 1 costs what answering it costs: encoding and sending the document's state.
    this.bucket?.take(messageCost(frame.type === 'sync-step1' ? (this.doc?.stateBytes ?? 0) : bytes.length))
    if (this.doc) return this.doc.receive(this.peer, frame, index, bytes.length)
    if (!this.held.hold({ peer: this.peer, frame, index, bytes: bytes.length })) {
      return this.end(CloseCode.TryAgainLater, HOLD_OVERFLOW.reason, HOLD_OVERFLOW.metric)
    }
  }

  // Messages read after the pause: the bound is what keeps a connection that floods anyway in check.
  private holdUnread(bytes: Uint8Array): void {
    this.unreadBytes += bytes.length
    if (this.unreadBytes > this.ctx.maxUnreadBytes) {
      this.unread = []
      return this.end(CloseCode.RateLimited, 'too much sent while asked to slow down; reconnect', 'rate_limited')
    }
    this.unread.push(bytes)
  }

  private pauseWhileInDebt(): void {
    if (this.ended) return
    const waitMs = this.bucket?.debtMs() ?? 0
    // Once paused, always come back: the debt may have been refilled since the caller looked.
    if (waitMs === 0 && !this.paused) return
    if (!this.paused) {
      this.paused = true
      this.ctx.metrics.readPauses.inc()
      this.reading.pause()
    }
    this.resumeTimer = setTimeout(() => this.catchUp(), Math.ceil(waitMs))
  }

  // Out of debt: handle what arrived meanwhile, in order, then read the socket again. Reading
  // resumes only once nothing is left unread, or later messages would overtake held ones.
  private catchUp(): void {
    let next = 0
    while (!this.ended && next < this.unread.length && (this.bucket?.debtMs() ?? 0) === 0) {
      const bytes = this.unread[next++] as Uint8Array
      this.unreadBytes -= bytes.length
      this.handle(bytes)
    }
    this.unread = this.unread.slice(next)
    if (this.ended) return
    if (this.unread.length > 0 || (this.bucket?.debtMs() ?? 0) > 0) return this.pauseWhileInDebt()
    this.paused = false
    this.reading.resume()
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

  private expireAt(epochMs: number): void {
    const wait = epochMs - Date.now()
    this.expiry = setTimeout(
      () => (wait > MAX_TIMER_MS ? this.expireAt(epochMs) : this.end(CloseCode.Unauthorized, 'token expired; reconnect with a new token', 'token_expired')),
      Math.max(0, Math.min(wait, MAX_TIMER_MS))
    )
    this.expiry.unref()
  }

  private end(code: number, reason: string, metricReason: string): void {
    refusalLog(this.ctx.log).write('warn', metricReason, { doc: this.name, conn: this.peer.id, code }, reason)
    this.ctx.metrics.rejectedConnections.inc({ reason: metricReason })
    this.peer.close(code, reason)
  }
}
