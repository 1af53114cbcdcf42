/**
 * `createServer`: wires storage, documents, sessions, HTTP routes and the WebSocket edge into
 * one server on one port. Embeddable: tests and other Node apps call it directly.
 */
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CloseCode } from '@quire/protocol'
import { type Logger, pino } from 'pino'
import { type ClusterMode, openClusterMode } from './cluster/cluster-mode.js'
import { defaultSettings, type ServerSettings } from './config.js'
import { Gate } from './connection/admission.js'
import { sessionHandlers } from './connection/handlers.js'
import { DocumentRegistry } from './documents/registry.js'
import { metricsEndpoint } from './http/metrics-endpoint.js'
import { createRoutes } from './http/routes.js'
import { SECURITY_HEADERS } from './http/security-headers.js'
import { createMetrics, type Metrics } from './metrics.js'
import { LevelStore } from './storage/leveldb.js'
import type { DocumentStore } from './storage/store.js'
import { attachTransport, type Transport } from './transport/ws.js'
import { warmUp } from './warm-up.js'
import { WebhookDelivery } from './webhooks/delivery.js'
import { type DocumentEvents, WebhookEvents } from './webhooks/document-events.js'
import { checkWebhookUrl } from './webhooks/receiver-url.js'

/** How long a clean shutdown keeps delivering webhook events still queued before it drops them. */
export const WEBHOOK_FLUSH_MS = 5000

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
  /** Where document events are reported (webhooks); a no-op seam when none are configured. */
  readonly events: DocumentEvents
  /** Open storage and start listening. */
  listen(): Promise<{ host: string; port: number; url: string; metricsUrl: string | undefined }>
  /** Stop accepting, write everything pending, close sockets with 1001, close storage. */
  close(): Promise<void>
  /** Documents in memory now. */
  documentsLoaded(): number
}

/** Create a server; nothing is opened until `listen()`. */
export function createServer(options: ServerOptions = {}): QuireServer {
  const { logger, logLevel, store: injectedStore, ...overrides } = options
  const settings: ServerSettings = { ...defaultSettings, ...stripUndefined(overrides) }
  // An empty or short secret would look like access control and be none.
  if (settings.authSecret !== undefined && settings.authSecret.length < 16) throw new Error('authSecret must be at least 16 characters long')
  if (settings.adminToken !== undefined && settings.adminToken.length < 16) throw new Error('adminToken must be at least 16 characters long')
  if (settings.metricsToken !== undefined && settings.metricsToken.length < 16) throw new Error('metricsToken must be at least 16 characters long')
  checkWebhookSettings(settings)
  const log = logger ?? pino({ level: logLevel ?? 'info' })
  const metrics = createMetrics()
  const webhooks =
    settings.webhookUrls.length > 0
      ? new WebhookDelivery(
          { urls: settings.webhookUrls, secret: settings.webhookSecret as string, timeoutMs: settings.webhookTimeoutMs, maxQueued: settings.webhookQueueSize },
          log,
          metrics
        )
      : undefined
  const events: DocumentEvents = webhooks ? new WebhookEvents((event) => webhooks.send(event), settings.webhookDebounceMs) : NO_EVENTS
  let store: DocumentStore | undefined
  let cluster: ClusterMode | undefined
  let registry: DocumentRegistry | undefined
  let http: Server | undefined
  let metricsHttp: Server | undefined
  let transport: Transport | undefined
  let ready = false
  let closing: Promise<void> | undefined

  async function listen() {
    if (!injectedStore && settings.redis !== undefined)
      cluster = await openClusterMode(settings.redis, settings.redisAcceptRisk, log, metrics, settings.redisTimeoutMs)
    store = injectedStore ?? cluster?.store ?? (await LevelStore.open(settings.dataDir, { sync: settings.fsync }))
    await warmUp(settings, log, metrics)
    const docs = new DocumentRegistry(store, settings, log, metrics, webhooks ? events : undefined, cluster?.feed)
    // Redis answering a ping sent after a failed write says storage works again (CL6).
    cluster?.onAnswered((sentAt) => {
      if (!docs.health.ok && docs.health.lastFailure < sentAt) docs.health.stored()
    })
    registry = docs
    const gate = new Gate(settings)
    const serveMetrics = metricsEndpoint(metrics.registry, settings.metricsToken)
    const server = createHttpServer(
      {
        headersTimeout: settings.handshakeTimeoutMs,
        requestTimeout: settings.handshakeTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, settings.handshakeTimeoutMs)
      },
      createRoutes({
        metricsEndpoint: settings.metricsPort === undefined ? serveMetrics : undefined,
        registry: docs,
        settings,
        log,
        metrics,
        startedAt: Date.now(),
        ready: () => ready && docs.health.ok && (cluster?.healthy() ?? true),
        webDir: settings.webDir,
        gate,
        failed: (error) => {
          metrics.errors.inc({ kind: 'http_handler' })
          log.error({ err: error }, 'http request handling failed')
        },
        info: { access: settings.authSecret === undefined ? 'open' : 'tokens', maxMessageBytes: settings.maxMessageBytes },
        share: { authSecret: settings.authSecret, made: (doc, access, expiresAt) => log.info({ doc, access, expiresAt }, 'access link made') }
      })
    )
    http = server
    const sessionContext = { registry: docs, log, metrics, ...settings }
    transport = attachTransport(server, { ...settings, log, metrics }, sessionHandlers(gate, sessionContext))
    try {
      await bind(server, settings.host, settings.port)
      if (settings.metricsPort !== undefined) {
        metricsHttp = createHttpServer({ headersTimeout: settings.handshakeTimeoutMs, requestTimeout: settings.handshakeTimeoutMs }, (req, res) => {
          for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
          if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) return serveMetrics(req, res)
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
          res.end('not found: this port serves /metrics only\n')
        })
        await bind(metricsHttp, settings.metricsHost, settings.metricsPort, '--metrics-port ')
      }
    } catch (error) {
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))
      if (!injectedStore) await (cluster ?? store).close()
      throw error
    }
    server.on('error', (error) => log.error({ err: error }, 'http server error'))
    metricsHttp?.on('error', (error) => log.error({ err: error }, 'metrics server error'))
    ready = true
    const port = (server.address() as AddressInfo).port
    const url = `http://${hostInUrl(settings.host)}:${port}`
    const metricsUrl = metricsHttp ? `http://${hostInUrl(settings.metricsHost)}:${(metricsHttp.address() as AddressInfo).port}/metrics` : undefined
    log.info(
      {
        host: settings.host,
        port,
        url,
        auth: settings.authSecret === undefined ? 'open' : 'token',
        metrics: metricsUrl ?? `${url}/metrics`,
        metricsAuth: settings.metricsToken === undefined ? 'open' : 'token',
        dataDir: injectedStore || cluster ? undefined : settings.dataDir,
        redis: cluster ? redisHost(settings.redis) : undefined,
        webDir: settings.webDir,
        startupMs: Math.round(performance.now())
      },
      'listening'
    )
    return { host: settings.host, port, url, metricsUrl }
  }

  async function shutdown() {
    ready = false
    transport?.stopAccepting()
    const stopListening = new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()))
    const stopMetrics = new Promise<void>((resolve) => (metricsHttp ? metricsHttp.close(() => resolve()) : resolve()))
    await registry?.closeAll()
    await transport?.closeAll(CloseCode.GoingAway, 'server shutting down')
    http?.closeAllConnections()
    metricsHttp?.closeAllConnections()
    await stopListening
    await stopMetrics
    await (cluster ?? store)?.close()
    // Every write is done, so every change is known: report what the windows still hold.
    events.flush()
    await webhooks?.drain(WEBHOOK_FLUSH_MS)
    log.info('stopped')
  }

  return {
    settings,
    log,
    metrics,
    events,
    listen,
    close: () => (closing ??= shutdown()),
    documentsLoaded: () => registry?.size ?? 0
  }
}

/** Listen on `host:port`; a taken port or an unbindable host becomes a {@link ListenError}. */
function bind(server: Server, host: string, port: number, flag = ''): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: unknown) => {
      const code = (error as { code?: string }).code
      const where = `${host}:${port}`
      reject(
        new ListenError(code === 'EADDRINUSE' ? `${flag}port ${port} is already in use (${where})` : `cannot listen on ${where}: ${String(error)}`, {
          cause: error
        })
      )
    }
    server.once('error', failed)
    server.listen(port, host, () => {
      server.off('error', failed)
      resolve()
    })
  })
}

// Nothing listens: events cost a call that does nothing.
const NO_EVENTS: DocumentEvents = { created() {}, changed() {}, deleted() {}, flush() {} }

// Unsigned events could be forged by anyone who can reach a receiver.
function checkWebhookSettings(settings: ServerSettings): void {
  if (settings.webhookUrls.length === 0) return
  if (settings.webhookSecret === undefined || settings.webhookSecret.length < 16) throw new Error('webhookUrls need a webhookSecret of at least 16 characters')
  for (const url of settings.webhookUrls) {
    const checked = checkWebhookUrl(url)
    if (!checked.ok) throw new Error(`webhookUrls: ${checked.error}`)
  }
}

// Where Redis is, without any password the URL carries.
function redisHost(url: string | undefined): string | undefined {
  try {
    if (url?.startsWith('redis-cluster://')) return url.slice('redis-cluster://'.length)
    return url === undefined ? undefined : new URL(url).host
  } catch {
    return undefined
  }
}

function hostInUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
