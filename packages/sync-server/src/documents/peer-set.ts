/**
 * A document's peers, and how it sends to them: a frame to many is encoded once and counted once
 * per type in the metrics, and a peer refused is logged (rate-limited, refusal-log.ts) and
 * counted before its connection is closed.
 */
import { type ExtensionName, type Frame, writeFrame } from '@quire/protocol'
import type { Logger } from 'pino'
import type { Metrics } from '../metrics.js'
import { refusalLog } from '../refusal-log.js'
import type { Peer } from './peer.js'

/** The peers on one document. */
export class PeerSet extends Set<Peer> {
  constructor(
    private readonly doc: string,
    private readonly ctx: { log: Logger; metrics: Metrics }
  ) {
    super()
  }

  /** Send one frame to `peer`. */
  send(peer: Peer, frame: Frame): void {
    this.ctx.metrics.countOut(frame.type)
    peer.send(writeFrame(frame))
  }

  /** Send encoded `bytes` (a frame of `type`) to every peer but `except`, or only to those that asked for `extension`. */
  broadcast(bytes: Uint8Array, type: string, except?: unknown, extension?: ExtensionName): void {
    let sent = 0
    for (const peer of this) {
      if (peer === except || (extension && !peer.extensions.has(extension))) continue
      peer.send(bytes)
      sent++
    }
    if (sent > 0) this.ctx.metrics.countOut(type, sent)
  }

  /** Close `peer` with `code` for what it sent, counted as `metric`. */
  reject(peer: Peer, code: number, reason: string, metric = 'invalid_update'): void {
    refusalLog(this.ctx.log).write('warn', metric, { doc: this.doc, conn: peer.id, code }, reason)
    this.ctx.metrics.rejectedConnections.inc({ reason: metric })
    peer.close(code, reason)
  }
}
