import { DefaultLimits } from '@quire/protocol'
import { defaultIntegrationBudget, type IntegrationBudget } from './guard/integration-cost.js'
import { defaultUpdateLimits, type UpdateLimits } from './guard/update-check.js'
import { defaultHistorySettings, type HistorySettings } from './history/settings.js'

/** Server settings with their defaults; the CLI flags map onto these one to one. */
export interface ServerSettings extends HistorySettings {
  /** TCP port; 0 picks a free one. */
  port: number
  /** Interface to listen on. */
  host: string
  /** LevelDB folder. */
  dataDir: string
  /** Fsync every write before it counts as stored. */
  fsync: boolean
  /** Built web app to serve; undefined serves none. */
  webDir: string | undefined
  /** Largest WebSocket message accepted, in bytes. */
  maxMessageBytes: number
  /** Interval between keepalive pings; a silent connection is closed within two. */
  pingIntervalMs: number
  /** A connection silent (no message, no pong) this long has its presence removed, its socket left open; 0: only the keepalive removes it. */
  presenceTimeoutMs: number
  /** How long an idle document stays loaded after its last client leaves. */
  unloadGraceMs: number
  /** Compact a document once this many log entries follow its snapshot. */
  compactEvery: number
  /** A document unchanged for this long drops its Y.Doc until the next change. */
  releaseAfterMs: number
  /** Frames a connection may send before its document has loaded. */
  maxQueuedFrames: number
  /** HS256 secret for access tokens (at least 16 characters); undefined runs the server open (no tokens). */
  authSecret: string | undefined
  /** A fixed credential for the admin API (at least 16 characters); undefined: only admin tokens (with --auth-secret) administer. */
  adminToken: string | undefined
  /** Bearer token `GET /metrics` requires; undefined serves the metrics to anyone who reaches them. */
  metricsToken: string | undefined
  /** Serve `/metrics` on this port (and not on the main one); undefined keeps it on the main port. */
  metricsPort: number | undefined
  /** Interface the metrics port listens on. */
  metricsHost: string
  /** Past this many stored bytes a document refuses changes (it stays readable). */
  maxDocumentBytes: number
  /** Largest awareness state (JSON) accepted from a client. */
  maxAwarenessBytes: number
  /** Presence states (awareness client ids) one connection may hold. */
  maxAwarenessClients: number
  /**
   * Tokens a connection's budget refills per second; 0 turns the limit off. A message costs one
   * token plus one per 64 KiB of work it causes; a connection over budget is read more slowly.
   */
  rateLimit: number
  /** Tokens a connection may spend at once above the average. */
  rateBurst: number
  /** Bytes a connection slowed down by the rate limit may still deliver before it is closed (4529). */
  maxUnreadBytes: number
  /** Open connections in total. */
  maxConnections: number
  /** Open connections to one document. */
  maxConnectionsPerDocument: number
  /** Open connections from one client address; 0: no limit. */
  maxConnectionsPerAddress: number
  /** Open connections with one token; 0: no limit. */
  maxConnectionsPerToken: number
  /** Share (percent) of each document's connections that read-only tokens may not take. */
  writerReservePercent: number
  /** Browser origins (besides the server's own) whose pages may connect; `*` for any. */
  allowedOrigins: readonly string[]
  /** Proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client. */
  trustedProxies: readonly string[]
  /** Distinct forged or garbled tokens from one address within a minute before it is refused (429). */
  maxAuthFailures: number
  /** How long an address that failed too often is refused. */
  authBlockMs: number
  /** Past this many bytes waiting to be sent to a client, it is closed (1013). */
  maxBufferedBytes: number
  /** Past this many bytes waiting to be sent to all clients together, those holding the most are closed (1013). */
  maxSendBufferBytes: number
  /** A connection that sends nothing for this long is closed (4508). */
  idleTimeoutMs: number
  /** An HTTP request (an upgrade included) must send its headers within this time. */
  handshakeTimeoutMs: number
  /** Bounds on one update's shape. */
  updateLimits: UpdateLimits
  /** Bounds on the work one update may cost against its document. */
  integrationBudget: IntegrationBudget
  /** Bytes of not-yet-integrable updates a document may hold. */
  maxPendingBytes: number
  /** Receivers of webhook events; empty sends none. */
  webhookUrls: readonly string[]
  /** HMAC key that signs webhook events (at least 16 characters); required with `webhookUrls`. */
  webhookSecret: string | undefined
  /** `document.changed` is sent at most once per document per this many milliseconds. */
  webhookDebounceMs: number
  /** One delivery attempt must be answered within this time. */
  webhookTimeoutMs: number
  /** Webhook deliveries held at once (waiting or retrying); past it, new events are dropped and counted. */
  webhookQueueSize: number
  /** Cluster mode: documents live in this Redis (redis://HOST:PORT, redis-cluster://HOST:PORT,… for a Cluster, redis-sentinel://HOST:PORT,…/NAME through Sentinel), shared with other instances; undefined keeps them in `dataDir`. */
  redis: string | undefined
  /** Start in cluster mode even on Redis persistence settings that can lose acknowledged writes. */
  redisAcceptRisk: boolean
  /** Cluster mode: a Redis connection that leaves a command unanswered this long is cut and made again (what was in flight fails and is retried). */
  redisTimeoutMs: number
}

/** The defaults, as documented in the README's configuration table. */
export const defaultSettings: ServerSettings = {
  port: 1234,
  host: '127.0.0.1',
  dataDir: './data',
  fsync: false,
  webDir: undefined,
  maxMessageBytes: DefaultLimits.maxMessageBytes,
  pingIntervalMs: 30_000,
  presenceTimeoutMs: 8_000,
  unloadGraceMs: 5_000,
  compactEvery: 10_000,
  releaseAfterMs: 10_000,
  maxQueuedFrames: DefaultLimits.maxQueuedFramesWhileLoading,
  authSecret: undefined,
  adminToken: undefined,
  metricsToken: undefined,
  metricsPort: undefined,
  metricsHost: '127.0.0.1',
  maxDocumentBytes: 64 * 1024 * 1024,
  maxAwarenessBytes: 8 * 1024,
  maxAwarenessClients: 16,
  rateLimit: 2000,
  rateBurst: 20_000,
  maxUnreadBytes: 32 * 1024 * 1024,
  maxConnections: 10_000,
  maxConnectionsPerDocument: 500,
  maxConnectionsPerAddress: 256,
  maxConnectionsPerToken: 128,
  writerReservePercent: 10,
  allowedOrigins: [],
  trustedProxies: [],
  maxAuthFailures: 20,
  authBlockMs: 60_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxSendBufferBytes: 256 * 1024 * 1024,
  idleTimeoutMs: 120_000,
  handshakeTimeoutMs: 10_000,
  updateLimits: defaultUpdateLimits,
  integrationBudget: defaultIntegrationBudget,
  maxPendingBytes: 256 * 1024,
  webhookUrls: [],
  webhookSecret: undefined,
  webhookDebounceMs: 2000,
  webhookTimeoutMs: 5000,
  webhookQueueSize: 10_000,
  redis: undefined,
  redisAcceptRisk: false,
  redisTimeoutMs: 15_000,
  ...defaultHistorySettings
}
