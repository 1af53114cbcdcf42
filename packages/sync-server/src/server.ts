/**
 * `createServer`: wires storage, documents, sessions, HTTP routes and the WebSocket edge into
 * one server on one port. Embeddable: tests and other Node apps call it directly.
 */
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CloseCode } from '@quire/protocol'
import { type Logger, pino } from 'pino'
import { defaultSettings, type ServerSettings } from './config.js'
import { Gate } from './connection/admission.js'
import { sessionHandlers } from './connection/handlers.js'
import { DocumentRegistry } from './documents/registry.js'
import { createRoutes } from './http/routes.js'
import { createMetrics, type Metrics } from './metrics.js'
import { LevelStore } from './storage/leveldb.js'
import type { DocumentStore } from './storage/store.js'
import { attachTransport, type Transport } from './transport/ws.js'
import { warmUp } from './warm-up.js'

/** Options for {@link createServer}: any setting, plus injectable logger and store. */
export interface ServerOptions extends Partial<ServerSettings> {
  /** A pino logger; default: JSON lines on stdout at `logLevel`. */
  logger?: Logger
  logLevel?: string
  /** Use this store instead of opening `dataDir` (tests wrap the real one). */
  store?: DocumentStore
}

/** The port is taken (or the host cannot be bound). */
export class ListenError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options)
    this.name = 'ListenError'
  }
}

/** A running (or ready to run) Quire server. */
export interface QuireServer {
  readonly settings: ServerSettings
  readonly log: Logger
  readonly metrics: Metrics
  /** Open storage and start listening. */
  listen(): Promise<{ host: string; port: number; url: string }>
  /** Stop accepting, write everything pending, close sockets with 1001, close storage. */
  close(): Promise<void>
  /** Documents in memory now. */
  documentsLoaded(): number
}

/** Create a server; nothing is opened until `listen()`. */
export function createServer(options: ServerOptions = {}): QuireServer {
  const { logger, logLevel, store: injectedStore, ...overrides } = options
  const settings: ServerSettings = { ...defaultSettings, ...stripUndefined(overrides) }
  const log = logger ?? pino({ level: logLevel ?? 'info' })
  const metrics = createMetrics()
  let store: DocumentStore | undefined
  let registry: DocumentRegistry | undefined
  let http: Server | undefined
  let transport: Transport | undefined
  let ready = false
  let closing: Promise<void> | undefined

  async function listen() {
    store = injectedStore ?? (await LevelStore.open(settings.dataDir, { sync: settings.fsync }))
    await warmUp(settings, log, metrics)
    const docs = new DocumentRegistry(store, settings, log, metrics)
    registry = docs
    const gate = new Gate(settings)
    const server = createHttpServer(
      {
        headersTimeout: settings.handshakeTimeoutMs,
        requestTimeout: settings.handshakeTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, settings.handshakeTimeoutMs)
      },
      createRoutes({ registry: metrics.registry, ready: () => ready && docs.health.ok, webDir: settings.webDir, gate })
    )
    http = server
    const sessionContext = { registry: docs, log, metrics, ...settings }
    transport = attachTransport(server, { ...settings, log, metrics }, sessionHandlers(gate, sessionContext))
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(settings.port, settings.host, () => {
          server.off('error', reject)
          resolve()
        })
      })
    } catch (error) {
      if (!injectedStore) await store.close()
      const code = (error as { code?: string }).code
      const where = `${settings.host}:${settings.port}`
      throw new ListenError(code === 'EADDRINUSE' ? `port ${settings.port} is already in use (${where})` : `cannot listen on ${where}: ${String(error)}`, {
        cause: error
      })
    }
    server.on('error', (error) => log.error({ err: error }, 'http server error'))
    ready = true
    const port = (server.address() as AddressInfo).port
    const url = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`
    log.info(
      {
        host: settings.host,
        port,
        url,
        dataDir: injectedStore ? undefined : settings.dataDir,
        webDir: settings.webDir,
        startupMs: Math.round(performance.now())
      },
      'listening'
    )
    return { host: settings.host, port, url }
  }

  async function shutdown() {
    ready = false
    transport?.stopAccepting()
    const stopListening = new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()))
    await registry?.closeAll()
    await transport?.closeAll(CloseCode.GoingAway, 'server shutting down')
    http?.closeAllConnections()
    await stopListening
    await store?.close()
    log.info('stopped')
  }

  return {
    settings,
    log,
    metrics,
    listen,
    close: () => (closing ??= shutdown()),
    documentsLoaded: () => registry?.size ?? 0
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
