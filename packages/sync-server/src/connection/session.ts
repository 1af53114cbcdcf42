/**
 * One connection's life on one document: decode each frame, hold frames while the document
 * loads (a client is never answered from a half-loaded document), then hand them over in order.
 */
import { CloseCode, type Frame, ProtocolError, readFrame } from '@quire/protocol'
import type { Logger } from 'pino'
import type { SharedDocument } from '../documents/document.js'
import { DocumentDamagedError } from '../documents/load.js'
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
}

/** The protocol state of one connection. */
export class Session {
  private doc: SharedDocument | undefined
  private queued: Array<[Frame, number]> = []
  private frames = 0
  private ended = false

  constructor(
    private readonly peer: Peer,
    private readonly name: string,
    private readonly ctx: SessionContext
  ) {
    void this.attach()
  }

  /** Handle one message from the socket. */
  receive(bytes: Uint8Array): void {
    if (this.ended) return
    const index = ++this.frames
    let frame: Frame
    try {
      frame = readFrame(bytes)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      return this.end(error.closeCode, error.message, 'malformed_message')
    }
    this.ctx.metrics.messagesIn.inc({ type: frame.type })
    if (this.doc) return this.doc.receive(this.peer, frame, index)
    if (this.queued.length >= this.ctx.maxQueuedFrames) {
      return this.end(CloseCode.TryAgainLater, 'too many messages while the document loads', 'load_queue_full')
    }
    this.queued.push([frame, index])
  }

  /** The socket closed; leave the document. */
  closed(): void {
    this.ended = true
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
      if (error instanceof DocumentDamagedError) {
        return this.end(CloseCode.DocumentDamaged, 'stored document data is damaged; an operator must look at it', 'document_damaged')
      }
      return this.end(CloseCode.LoadFailed, 'document could not be loaded; try again later', 'load_failed')
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

  private end(code: number, reason: string, metricReason: string): void {
    this.ctx.log.warn({ doc: this.name, conn: this.peer.id, code }, reason)
    this.ctx.metrics.rejectedConnections.inc({ reason: metricReason })
    this.peer.close(code, reason)
  }
}
