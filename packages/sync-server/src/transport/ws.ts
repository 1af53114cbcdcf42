/**
 * The WebSocket edge: the only module that touches `ws`. Admits or refuses upgrades (an HTTP
 * status before any WebSocket exists), wraps each socket as a Peer, and keeps connections alive
 * with ping/pong so a dead one is closed within two intervals.
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { ExtensionName } from '@quire/protocol'
import type { Logger } from 'pino'
import { type RawData, type WebSocket, WebSocketServer } from 'ws'
import type { Peer } from '../documents/peer.js'
import type { Metrics } from '../metrics.js'

/** The verdict on an upgrade request. */
export type Admission =
  | { ok: true; name: string; extensions: ReadonlySet<ExtensionName> }
  | { ok: false; status: number; message: string; reason: string }

/** What the transport calls back into. */
export interface TransportHandlers {
  /** Decide, from the request alone, whether it may become a WebSocket. */
  admit(request: IncomingMessage): Admission
  /** A socket is open: return the receiver of its messages and of its close. */
  connect(peer: Peer, name: string): { receive(bytes: Uint8Array): void; closed(): void }
}

/** Transport settings. */
export interface TransportSettings {
  maxMessageBytes: number
  pingIntervalMs: number
  log: Logger
  metrics: Metrics
}

/** The WebSocket side of a server. */
export interface Transport {
  /** Open sockets. */
  readonly size: number
  /** Refuse further upgrades with 503. */
  stopAccepting(): void
  /** Close every socket with `code`; terminate those that do not finish the close handshake in time. */
  closeAll(code: number, reason: string, timeoutMs?: number): Promise<void>
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable'
}

/** Attach WebSocket handling to an HTTP server. */
export function attachTransport(server: Server, settings: TransportSettings, handlers: TransportHandlers): Transport {
  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxMessageBytes, perMessageDeflate: false })
  const alive = new WeakMap<WebSocket, boolean>()
  let accepting = true
  let nextId = 0

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => settings.log.debug({ err: error }, 'socket error during upgrade'))
    const admission: Admission = accepting
      ? handlers.admit(request)
      : { ok: false, status: 503, message: 'server is shutting down', reason: 'shutting_down' }
    if (!admission.ok) {
      settings.metrics.rejectedConnections.inc({ reason: admission.reason })
      settings.log.info({ url: request.url, status: admission.status }, `upgrade refused: ${admission.message}`)
      return refuse(socket, admission.status, admission.message)
    }
    wss.handleUpgrade(request, socket, head, (ws) => open(ws, admission.name, admission.extensions))
  })

  function open(ws: WebSocket, name: string, extensions: ReadonlySet<ExtensionName>): void {
    const id = `c${(++nextId).toString(36)}`
    let closing = false
    const peer: Peer = {
      id,
      extensions,
      send(bytes) {
        if (!closing && ws.readyState === ws.OPEN) ws.send(bytes)
      },
      close(code, reason) {
        if (closing) return
        closing = true
        ws.close(code, truncateReason(reason))
      }
    }
    settings.metrics.connections.inc()
    alive.set(ws, true)
    const receiver = handlers.connect(peer, name)
    settings.log.debug({ doc: name, conn: id }, 'connection opened')
    ws.on('pong', () => alive.set(ws, true))
    ws.on('message', (data: RawData) => {
      alive.set(ws, true)
      if (!closing) receiver.receive(toBytes(data))
    })
    ws.on('error', (error: Error & { code?: string }) => {
      settings.log.warn({ doc: name, conn: id, err: error.message, code: error.code }, 'connection error')
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') settings.metrics.rejectedConnections.inc({ reason: 'message_too_big' })
    })
    ws.on('close', (code: number) => {
      closing = true
      settings.metrics.connections.dec()
      settings.log.debug({ doc: name, conn: id, code }, 'connection closed')
      receiver.closed()
    })
  }

  const keepalive = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        settings.metrics.rejectedConnections.inc({ reason: 'keepalive_timeout' })
        ws.terminate()
        continue
      }
      alive.set(ws, false)
      ws.ping()
    }
  }, settings.pingIntervalMs)
  keepalive.unref()

  return {
    get size() {
      return wss.clients.size
    },
    stopAccepting() {
      accepting = false
    },
    async closeAll(code, reason, timeoutMs = 2000) {
      clearInterval(keepalive)
      const sockets = [...wss.clients]
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === ws.CLOSED) return resolve()
              const timer = setTimeout(() => ws.terminate(), timeoutMs)
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

function refuse(socket: Duplex, status: number, message: string): void {
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
  return reason.length > 123 ? reason.slice(0, 120) + '...' : reason
}
