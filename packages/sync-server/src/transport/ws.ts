/**
 * The WebSocket edge: the only module that touches `ws`. Refuses upgrades with an HTTP status
 * before any WebSocket exists, wraps each socket as a Peer, and closes connections that are
 * dead (no pong within two ping intervals), idle (no message for idleTimeoutMs: 4508) or too slow
 * to read what they are sent (more than maxBufferedBytes waiting: 1013). A connection whose
 * reading the session paused counts as alive and busy: its pongs and messages wait unread. Bytes
 * waiting in all sockets together are bounded by maxSendBufferBytes: past it, the connections
 * holding the most are closed (1013).
 *
 * Presence is watched apart from liveness (PR2): a connection that shows presence is pinged every
 * quarter of presenceTimeoutMs when it has been quiet, and once nothing (no message, no pong) has
 * come from it for presenceTimeoutMs its presence listener is told, and nothing is closed. Closing
 * stays the slower keepalive's business, so a reader that falls seconds behind under load loses
 * nothing but, for a while, its caret on the others' screens.
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { CloseCode } from '@quire/protocol'
import type { Logger } from 'pino'
import { type RawData, WebSocket, WebSocketServer } from 'ws'
import type { Admission } from '../connection/admission.js'
import type { Reading } from '../connection/session.js'
import type { Peer, SilenceListener } from '../documents/peer.js'
import type { Metrics } from '../metrics.js'
import { redactUrl } from '../redact-url.js'
import { refusalLog } from '../refusal-log.js'
import { type SendAccount, SendBudget } from './send-budget.js'

/** An admitted request. */
export type Admitted = Extract<Admission, { ok: true }>

/** What the transport calls back into. */
export interface TransportHandlers {
  /** Decide, from the request alone, whether it may become a WebSocket. */
  admit(request: IncomingMessage): Promise<Admission>
  /** An admitted request did not become a socket (a malformed handshake, or shutting down). */
  abandoned(admitted: Admitted): void
  /**
   * A socket is open: return the receiver of its messages and of its close. `reading` pauses and
   * resumes reading the socket (sending to it goes on).
   */
  connect(peer: Peer, admitted: Admitted, reading: Reading): { receive(bytes: Uint8Array): void; closed(): void }
}

/** Transport settings. */
export interface TransportSettings {
  maxMessageBytes: number
  pingIntervalMs: number
  /** Silence after which a connection's presence is removed (its socket stays open); 0: only the keepalive removes it. */
  presenceTimeoutMs: number
  idleTimeoutMs: number
  maxBufferedBytes: number
  maxSendBufferBytes: number
  log: Logger
  metrics: Metrics
}

/** The WebSocket side of a server. */
export interface Transport {
  /** Refuse further upgrades with 503. */
  stopAccepting(): void
  /** Close every socket with `code`; terminate those that do not finish the close handshake in time. */
  closeAll(code: number, reason: string, timeoutMs?: number): Promise<void>
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  503: 'Service Unavailable'
}

/** Attach WebSocket handling to an HTTP server. */
export function attachTransport(server: Server, settings: TransportSettings, handlers: TransportHandlers): Transport {
  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxMessageBytes, perMessageDeflate: false })
  const budget = new SendBudget(settings.maxSendBufferBytes)
  // Who to close when the budget is passed; an account belongs to one open connection.
  const closers = new Map<SendAccount, SocketPeer>()
  let accepting = true
  let nextId = 0

  // Defined out here: a listener made inside the upgrade handler would keep the handler's scope,
  // the request and its headers included (~1.5 KB), alive for as long as the socket lives.
  const onSocketError = (error: Error) => settings.log.debug({ err: error }, 'socket error during upgrade')

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', onSocketError)
    const deciding: Promise<Admission> = accepting
      ? handlers.admit(request)
      : Promise.resolve({ ok: false, status: 503, message: 'server is shutting down', reason: 'shutting_down' })
    deciding.then(
      (admission) => {
        if (!admission.ok) {
          settings.metrics.rejectedConnections.inc({ reason: admission.reason })
          refusalLog(settings.log).write(
            'info',
            admission.reason,
            { url: redactUrl(request.url), status: admission.status, ip: request.socket.remoteAddress },
            `upgrade refused: ${admission.message}`
          )
          return refuse(socket, admission.status, admission.message)
        }
        if (!accepting) {
          handlers.abandoned(admission)
          return refuse(socket, 503, 'server is shutting down')
        }
        // Without verifyClient, ws completes (or refuses) the handshake before handleUpgrade returns.
        let opened = false
        wss.handleUpgrade(request, socket, head, (ws) => {
          opened = true
          open(ws, admission)
        })
        if (!opened) handlers.abandoned(admission)
      },
      (error: unknown) => {
        settings.log.error({ err: error }, 'admission failed')
        refuse(socket, 500, 'internal error')
      }
    )
  })

  const edge: Edge = { settings, budget, closers }
  function open(ws: WebSocket, admitted: Admitted): void {
    const peer = new SocketPeer(ws, admitted, `c${(++nextId).toString(36)}`, edge)
    socketPeers.set(ws, peer)
    closers.set(peer.account, peer)
    settings.metrics.connections.inc()
    peer.receiver = handlers.connect(peer, admitted, peer)
    settings.log.debug({ doc: peer.name, conn: peer.id, access: admitted.access }, 'connection opened')
    // Listeners shared by every socket (ws calls them with the socket as `this`): a set of
    // closures per connection would cost each idle connection half a kilobyte.
    ws.on('pong', onPong)
    ws.on('message', onMessage)
    ws.on('error', onError)
    ws.on('close', onClose)
  }

  const keepalive = setInterval(() => {
    for (const ws of wss.clients) {
      const state = socketPeers.get(ws)
      if (!state) continue
      if (state.paused) {
        state.alive = true
        continue
      }
      if (!state.alive) {
        settings.metrics.rejectedConnections.inc({ reason: 'keepalive_timeout' })
        ws.terminate()
        continue
      }
      state.alive = false
      ws.ping()
    }
  }, settings.pingIntervalMs)
  keepalive.unref()
  const liveness = settings.presenceTimeoutMs > 0 ? watchPresence(wss, settings) : undefined
  // Swept four times per timeout, so a silent connection goes within 1.25 timeouts.
  const idleSweep = setInterval(
    () => {
      const now = Date.now()
      for (const ws of wss.clients) {
        const state = socketPeers.get(ws)
        if (!state || state.paused || now - state.lastMessage <= settings.idleTimeoutMs || ws.readyState !== ws.OPEN) continue
        settings.metrics.rejectedConnections.inc({ reason: 'idle' })
        ws.close(CloseCode.IdleTimeout, 'no messages for too long')
      }
    },
    Math.max(25, settings.idleTimeoutMs / 4)
  )
  idleSweep.unref()

  return {
    stopAccepting() {
      accepting = false
    },
    async closeAll(code, reason, timeoutMs = 2000) {
      clearInterval(keepalive)
      clearInterval(idleSweep)
      clearInterval(liveness)
      await Promise.all(
        [...wss.clients].map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === ws.CLOSED) return resolve()
              const timer = setTimeout(() => ws.terminate(), timeoutMs)
              // A paused socket would never read the client's answer to our close.
              if (ws.isPaused) ws.resume()
              ws.once('close', () => {
                clearTimeout(timer)
                resolve()
              })
              ws.close(code, truncateReason(reason))
            })
        )
      )
      await new Promise<void>((resolve) => wss.close(() => resolve()))
    }
  }
}

/**
 * Ping, often, the connections that show presence and have been quiet, and tell the presence
 * listener of those quiet for longer than presenceTimeoutMs. A paused connection is not quiet:
 * we stopped reading it.
 */
function watchPresence(wss: WebSocketServer, settings: TransportSettings): NodeJS.Timeout {
  const every = Math.max(25, Math.floor(settings.presenceTimeoutMs / 4))
  const timer = setInterval(() => {
    const now = Date.now()
    for (const ws of wss.clients) {
      const peer = socketPeers.get(ws)
      const listener = peer?.silenceListener
      if (!peer || !listener || peer.paused || peer.closing || ws.readyState !== ws.OPEN) continue
      const quiet = now - peer.lastHeard
      if (quiet > settings.presenceTimeoutMs) {
        settings.metrics.silencedPresences.inc()
        settings.log.debug({ doc: peer.name, conn: peer.id, quietMs: quiet }, 'connection silent; its presence is removed')
        listener.silent(peer)
      } else if (quiet >= every) ws.ping()
    }
  }, every)
  timer.unref()
  return timer
}

/** What every connection shares: the server's settings and the send budget. */
interface Edge {
  settings: TransportSettings
  budget: SendBudget
  closers: Map<SendAccount, SocketPeer>
}

/** One open socket: the Peer the documents send to, and the Reading its session pauses. */
class SocketPeer implements Peer, Reading {
  readonly extensions: Peer['extensions']
  readonly access: Peer['access']
  readonly user: string | undefined
  readonly name: string
  readonly account: SendAccount
  receiver: ReturnType<TransportHandlers['connect']> | undefined
  silenceListener: SilenceListener | undefined = undefined
  /** Answered a ping (or sent anything) since the last one. */
  alive = true
  lastMessage = Date.now()
  /** When a message or a pong last came (or reading resumed): what presence liveness watches. */
  lastHeard = this.lastMessage
  /** Reading stopped by us: whatever the client sends (pongs included) waits unread meanwhile. */
  paused = false
  closing = false
  corked = false

  constructor(
    readonly ws: WebSocket,
    admitted: Admitted,
    readonly id: string,
    private readonly edge: Edge
  ) {
    this.extensions = admitted.extensions
    this.access = admitted.access
    this.user = admitted.user
    this.name = admitted.name
    this.account = edge.budget.open()
  }

  send(bytes: Uint8Array, sent?: () => void): void {
    const { ws, edge } = this
    const { settings, budget } = edge
    if (this.closing || ws.readyState !== ws.OPEN) return sent?.()
    // Judged before sending, so one large message (a first sync) always fits.
    if (ws.bufferedAmount > settings.maxBufferedBytes) {
      settings.metrics.rejectedConnections.inc({ reason: 'slow_client' })
      settings.log.warn({ doc: this.name, conn: this.id, buffered: ws.bufferedAmount }, 'client reads too slowly; closing')
      this.close(CloseCode.TryAgainLater, 'client is not reading fast enough; reconnect to resync')
      return sent?.()
    }
    // Frames sent in one tick (a relayed batch, a sync answer and its acks) leave in one write.
    if (!this.corked) {
      this.corked = true
      socketOf(ws).cork()
      process.nextTick(uncork, this)
    }
    // Sent as given, never copied: one answer shared by many connections stays one buffer.
    ws.send(bytes, () => {
      budget.drained(this.account, bytes.length)
      sent?.()
    })
    for (const worst of budget.add(this.account, bytes.length)) edge.closers.get(worst)?.overBudget()
    settings.metrics.sendBufferBytes.set(budget.waiting)
  }

  close(code: number, reason: string): void {
    if (this.closing) return
    this.closing = true
    this.edge.budget.close(this.account)
    this.edge.closers.delete(this.account)
    // Read again, so that the client's close frame is seen and the handshake can finish.
    if (this.paused) this.resume()
    this.ws.close(code, truncateReason(reason))
    // A client that reads nothing never receives the close frame either.
    setTimeout(terminate, 2000, this.ws).unref()
  }

  pause(): void {
    if (this.paused || this.closing) return
    this.paused = true
    this.ws.pause()
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    // The pause was ours: the client was not silent or dead meanwhile.
    this.alive = true
    this.lastMessage = Date.now()
    this.lastHeard = this.lastMessage
    this.ws.resume()
  }

  /** The send budget is passed and this connection holds the most. */
  overBudget(): void {
    const { settings } = this.edge
    settings.metrics.rejectedConnections.inc({ reason: 'send_budget' })
    settings.log.warn(
      { doc: this.name, conn: this.id, unsent: this.account.unsent, code: CloseCode.TryAgainLater, limit: settings.maxSendBufferBytes },
      'server send buffers are full; closing the connection with the most unsent bytes'
    )
    this.close(CloseCode.TryAgainLater, 'server is short of send buffer space; reconnect to resync')
  }

  /** A message arrived. */
  message(data: RawData): void {
    this.alive = true
    this.lastMessage = Date.now()
    this.lastHeard = this.lastMessage
    if (this.closing) return
    try {
      this.receiver?.receive(toBytes(data))
    } catch (error) {
      // A bug must cost one connection, never the process.
      this.edge.settings.metrics.errors.inc({ kind: 'message_handler' })
      this.edge.settings.log.error({ doc: this.name, conn: this.id, err: error }, 'message handling failed; closing the connection')
      this.close(CloseCode.InternalError, 'internal error')
    }
  }

  /** The socket reported an error (it closes next). */
  failed(error: Error & { code?: string }): void {
    const { settings } = this.edge
    refusalLog(settings.log).write('warn', 'connection_error', { doc: this.name, conn: this.id, err: error.message, code: error.code }, 'connection error')
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') settings.metrics.rejectedConnections.inc({ reason: 'message_too_big' })
  }

  /** The socket closed (whoever began it). */
  closed(code: number): void {
    const { settings, budget, closers } = this.edge
    this.closing = true
    budget.close(this.account)
    closers.delete(this.account)
    settings.metrics.sendBufferBytes.set(budget.waiting)
    settings.metrics.connections.dec()
    settings.log.debug({ doc: this.name, conn: this.id, code }, 'connection closed')
    this.receiver?.closed()
  }
}

// The listeners every socket shares; ws calls them with the socket as `this`.
const socketPeers = new WeakMap<WebSocket, SocketPeer>()
const peerOf = (ws: WebSocket): SocketPeer | undefined => socketPeers.get(ws)
function onPong(this: WebSocket): void {
  const peer = peerOf(this)
  if (!peer) return
  peer.alive = true
  peer.lastHeard = Date.now()
}
function onMessage(this: WebSocket, data: RawData): void {
  peerOf(this)?.message(data)
}
function onError(this: WebSocket, error: Error & { code?: string }): void {
  peerOf(this)?.failed(error)
}
function onClose(this: WebSocket, code: number): void {
  peerOf(this)?.closed(code)
}
function uncork(peer: SocketPeer): void {
  peer.corked = false
  socketOf(peer.ws).uncork()
}
function terminate(ws: WebSocket): void {
  ws.terminate()
}
function socketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket
}

/**
 * Be a client once: connect to `url`, send `frames`, and resolve when a received message passes
 * `done`, then close. The server's start-up rehearsal uses it; rejects after `timeoutMs`.
 */
export function rehearseClient(url: string, frames: Uint8Array[], done: (bytes: Uint8Array) => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    const timer = setTimeout(() => finish(new Error(`no answer from ${url} within ${timeoutMs} ms`)), timeoutMs)
    const finish = (error?: Error) => {
      clearTimeout(timer)
      ws.terminate()
      error ? reject(error) : resolve()
    }
    ws.on('open', () => {
      for (const frame of frames) ws.send(frame)
    })
    ws.on('message', (data: RawData) => {
      if (done(toBytes(data))) finish()
    })
    ws.on('error', (error) => finish(error))
  })
}

function refuse(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return
  const body = `${message}\n`
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body
  )
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}

// A close reason may be at most 123 bytes of UTF-8; ours are ASCII.
function truncateReason(reason: string): string {
  return reason.length > 123 ? `${reason.slice(0, 120)}...` : reason
}
