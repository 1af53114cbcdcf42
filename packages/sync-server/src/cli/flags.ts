/**
 * The `quire serve` flags, in one table that parsing, `--help` and the README all follow.
 * Each flag has an environment variable; a flag given on the command line wins.
 */
import type { ServerSettings } from '../config.js'

/** How a flag's text becomes a value. */
export type FlagKind =
  | { kind: 'port' }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'string' }
  | { kind: 'secret' }
  | { kind: 'boolean' }
  | { kind: 'choice'; choices: readonly string[] }
  /** Comma-separated origins (`https://app.example.com`) or `*`. */
  | { kind: 'origins' }
  /** Comma-separated IP addresses or CIDR ranges. */
  | { kind: 'proxies' }
  /** http(s) URLs: the flag may be repeated, each value a comma-separated list. */
  | { kind: 'urls' }

/** One `quire serve` flag. */
export interface FlagSpec {
  flag: string
  env: string
  /** The setting it fills; `authSecretFile` is read by the CLI into `authSecret`. */
  setting: keyof ServerSettings | 'logLevel' | 'authSecretFile'
  type: FlagKind
  /** The default as shown to people. */
  shown: string
  help: string
}

/** Log levels pino knows, from loudest to silent. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

/** All flags of `quire serve`. */
export const serveFlags: readonly FlagSpec[] = [
  { flag: 'port', env: 'PORT', setting: 'port', type: { kind: 'port' }, shown: '1234', help: 'TCP port for HTTP and WebSockets (0 picks a free one)' },
  { flag: 'host', env: 'HOST', setting: 'host', type: { kind: 'string' }, shown: '127.0.0.1', help: 'interface to listen on (0.0.0.0 for all)' },
  { flag: 'data', env: 'DATA_DIR', setting: 'dataDir', type: { kind: 'string' }, shown: './data', help: 'LevelDB folder for documents (created if missing)' },
  {
    flag: 'fsync',
    env: 'FSYNC',
    setting: 'fsync',
    type: { kind: 'boolean' },
    shown: 'false',
    help: 'fsync every write before relaying it (survives power loss, slower)'
  },
  {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    setting: 'logLevel',
    type: { kind: 'choice', choices: LOG_LEVELS },
    shown: 'info',
    help: 'least severe log level written (JSON lines on stdout)'
  },
  { flag: 'web-dir', env: 'WEB_DIR', setting: 'webDir', type: { kind: 'string' }, shown: 'apps/web/dist', help: 'built web app to serve on the same port' },
  {
    flag: 'max-message-bytes',
    env: 'MAX_MESSAGE_BYTES',
    setting: 'maxMessageBytes',
    type: { kind: 'int', min: 1024, max: 1024 ** 3 },
    shown: '16777216',
    help: 'largest WebSocket message accepted; larger ones close the connection with 1009'
  },
  {
    flag: 'ping-interval-ms',
    env: 'PING_INTERVAL_MS',
    setting: 'pingIntervalMs',
    type: { kind: 'int', min: 100, max: 3_600_000 },
    shown: '30000',
    help: 'keepalive ping interval; a dead connection is closed within two'
  },
  {
    flag: 'presence-timeout-ms',
    env: 'PRESENCE_TIMEOUT_MS',
    setting: 'presenceTimeoutMs',
    type: { kind: 'int', min: 0, max: 3_600_000 },
    shown: '8000',
    help: 'a connection that shows presence is pinged every quarter of this when quiet; silent this long, the others stop seeing it (its socket stays open; it reappears when heard again). 0: off'
  },
  {
    flag: 'unload-grace-ms',
    env: 'UNLOAD_GRACE_MS',
    setting: 'unloadGraceMs',
    type: { kind: 'int', min: 0, max: 3_600_000 },
    shown: '5000',
    help: 'how long a document stays in memory after its last client leaves'
  },
  {
    flag: 'compact-every',
    env: 'COMPACT_EVERY',
    setting: 'compactEvery',
    type: { kind: 'int', min: 1, max: 1_000_000 },
    shown: '10000',
    help: 'compact a document once this many log entries follow its snapshot (it also compacts once the log outweighs the snapshot)'
  },
  {
    flag: 'release-after-ms',
    env: 'RELEASE_AFTER_MS',
    setting: 'releaseAfterMs',
    type: { kind: 'int', min: 100, max: 86_400_000 },
    shown: '10000',
    help: 'a document unchanged this long drops its Y.Doc from memory (readers are answered from storage; the next change reloads it)'
  },
  {
    flag: 'auth-secret',
    env: 'AUTH_SECRET',
    setting: 'authSecret',
    type: { kind: 'secret' },
    shown: '(none: open)',
    help: 'HS256 secret (at least 16 characters): clients then need a token (?token=) for each document; an empty value is refused'
  },
  {
    flag: 'auth-secret-file',
    env: 'AUTH_SECRET_FILE',
    setting: 'authSecretFile',
    type: { kind: 'string' },
    shown: '(none)',
    help: 'read the secret from this file (one trailing newline ignored), so it does not show in ps; not with --auth-secret'
  },
  {
    flag: 'admin-token',
    env: 'ADMIN_TOKEN',
    setting: 'adminToken',
    type: { kind: 'secret' },
    shown: '(none)',
    help: 'credential for the admin API (at least 16 characters; "Authorization: Bearer <token>"); with --auth-secret, tokens from quire token --admin work too'
  },
  {
    flag: 'metrics-token',
    env: 'METRICS_TOKEN',
    setting: 'metricsToken',
    type: { kind: 'secret' },
    shown: '(none: open)',
    help: 'GET /metrics then needs "Authorization: Bearer <token>" (at least 16 characters)'
  },
  {
    flag: 'metrics-port',
    env: 'METRICS_PORT',
    setting: 'metricsPort',
    type: { kind: 'port' },
    shown: '(none: main port)',
    help: 'serve /metrics on this port instead of the main one (0 picks a free one)'
  },
  {
    flag: 'metrics-host',
    env: 'METRICS_HOST',
    setting: 'metricsHost',
    type: { kind: 'string' },
    shown: '127.0.0.1',
    help: 'interface the --metrics-port listener binds'
  },
  {
    flag: 'max-document-bytes',
    env: 'MAX_DOCUMENT_BYTES',
    setting: 'maxDocumentBytes',
    type: { kind: 'int', min: 1024, max: 2 ** 40 },
    shown: '67108864',
    help: 'past this size a document refuses changes (it stays readable)'
  },
  {
    flag: 'max-awareness-bytes',
    env: 'MAX_AWARENESS_BYTES',
    setting: 'maxAwarenessBytes',
    type: { kind: 'int', min: 64, max: 1024 ** 2 },
    shown: '8192',
    help: 'largest awareness (presence) state per client; larger closes with 4413'
  },
  {
    flag: 'max-awareness-clients',
    env: 'MAX_AWARENESS_CLIENTS',
    setting: 'maxAwarenessClients',
    type: { kind: 'int', min: 1, max: 100_000 },
    shown: '16',
    help: 'presence states one connection may hold; more closes with 4413'
  },
  {
    flag: 'rate-limit',
    env: 'RATE_LIMIT',
    setting: 'rateLimit',
    type: { kind: 'int', min: 0, max: 1_000_000 },
    shown: '2000',
    help: 'message budget per connection per second (a message costs 1, plus 1 per 64 KiB of work); past it, reading pauses (0: no limit)'
  },
  {
    flag: 'rate-burst',
    env: 'RATE_BURST',
    setting: 'rateBurst',
    type: { kind: 'int', min: 1, max: 10_000_000 },
    shown: '20000',
    help: 'budget a connection may spend at once above the average'
  },
  {
    flag: 'max-unread-bytes',
    env: 'MAX_UNREAD_BYTES',
    setting: 'maxUnreadBytes',
    type: { kind: 'int', min: 1024, max: 2 ** 34 },
    shown: '33554432',
    help: 'bytes a paused (over-budget) connection may still deliver before it is closed (4529)'
  },
  {
    flag: 'max-connections',
    env: 'MAX_CONNECTIONS',
    setting: 'maxConnections',
    type: { kind: 'int', min: 1, max: 10_000_000 },
    shown: '10000',
    help: 'open connections in total; past it, upgrades get 503'
  },
  {
    flag: 'max-connections-per-document',
    env: 'MAX_CONNECTIONS_PER_DOCUMENT',
    setting: 'maxConnectionsPerDocument',
    type: { kind: 'int', min: 1, max: 10_000_000 },
    shown: '500',
    help: 'open connections to one document; past it, upgrades get 503'
  },
  {
    flag: 'max-connections-per-address',
    env: 'MAX_CONNECTIONS_PER_ADDRESS',
    setting: 'maxConnectionsPerAddress',
    type: { kind: 'int', min: 0, max: 10_000_000 },
    shown: '256',
    help: 'open connections from one client address (a whole office or class behind one NAT shares one); past it, upgrades get 429 (0: no limit)'
  },
  {
    flag: 'max-connections-per-token',
    env: 'MAX_CONNECTIONS_PER_TOKEN',
    setting: 'maxConnectionsPerToken',
    type: { kind: 'int', min: 0, max: 10_000_000 },
    shown: '128',
    help: 'open connections with one token (everyone a link is shared with uses its token); past it, upgrades get 429 (0: no limit)'
  },
  {
    flag: 'writer-reserve-percent',
    env: 'WRITER_RESERVE_PERCENT',
    setting: 'writerReservePercent',
    type: { kind: 'int', min: 0, max: 90 },
    shown: '10',
    help: "share of each document's connections kept for write tokens: read-only connections past the rest get 503"
  },
  {
    flag: 'allowed-origins',
    env: 'ALLOWED_ORIGINS',
    setting: 'allowedOrigins',
    type: { kind: 'origins' },
    shown: '(none: same origin only)',
    help: 'comma-separated origins (https://app.example.com) whose pages may connect and read /api/access; * for any. Pages from other origins get 403'
  },
  {
    flag: 'trusted-proxies',
    env: 'TRUSTED_PROXIES',
    setting: 'trustedProxies',
    type: { kind: 'proxies' },
    shown: '(none)',
    help: 'comma-separated proxy addresses or CIDR ranges; from these, X-Forwarded-For names the client for the per-address limits'
  },
  {
    flag: 'max-auth-failures',
    env: 'MAX_AUTH_FAILURES',
    setting: 'maxAuthFailures',
    type: { kind: 'int', min: 1, max: 1_000_000 },
    shown: '20',
    help: 'distinct forged or garbled tokens per address per minute before it gets 429'
  },
  {
    flag: 'auth-block-ms',
    env: 'AUTH_BLOCK_MS',
    setting: 'authBlockMs',
    type: { kind: 'int', min: 0, max: 86_400_000 },
    shown: '60000',
    help: 'how long an address that failed too often gets 429'
  },
  {
    flag: 'max-buffered-bytes',
    env: 'MAX_BUFFERED_BYTES',
    setting: 'maxBufferedBytes',
    type: { kind: 'int', min: 1024, max: 2 ** 34 },
    shown: '16777216',
    help: 'bytes waiting to be sent to a client before it is closed as too slow (1013)'
  },
  {
    flag: 'max-send-buffer-bytes',
    env: 'MAX_SEND_BUFFER_BYTES',
    setting: 'maxSendBufferBytes',
    type: { kind: 'int', min: 1024 ** 2, max: 2 ** 40 },
    shown: '268435456',
    help: 'bytes waiting to be sent to all clients together; past it, those holding the most are closed (1013)'
  },
  {
    flag: 'idle-timeout-ms',
    env: 'IDLE_TIMEOUT_MS',
    setting: 'idleTimeoutMs',
    type: { kind: 'int', min: 100, max: 86_400_000 },
    shown: '120000',
    help: 'close a connection that sends nothing for this long (4508)'
  },
  {
    flag: 'handshake-timeout-ms',
    env: 'HANDSHAKE_TIMEOUT_MS',
    setting: 'handshakeTimeoutMs',
    type: { kind: 'int', min: 100, max: 600_000 },
    shown: '10000',
    help: 'an HTTP request or WebSocket upgrade must send its headers within this time'
  },
  {
    flag: 'webhook-url',
    env: 'WEBHOOK_URL',
    setting: 'webhookUrls',
    type: { kind: 'urls' },
    shown: '(none)',
    help: 'POST signed JSON events (document created, changed, deleted) to this http(s) URL; repeat the flag or give a comma-separated list'
  },
  {
    flag: 'webhook-secret',
    env: 'WEBHOOK_SECRET',
    setting: 'webhookSecret',
    type: { kind: 'secret' },
    shown: '(none)',
    help: 'HMAC-SHA256 key that signs webhook events (at least 16 characters); required with --webhook-url'
  },
  {
    flag: 'webhook-debounce-ms',
    env: 'WEBHOOK_DEBOUNCE_MS',
    setting: 'webhookDebounceMs',
    type: { kind: 'int', min: 0, max: 3_600_000 },
    shown: '2000',
    help: 'document.changed is sent at most once per document per this many milliseconds, naming everyone who changed it meanwhile'
  },
  {
    flag: 'webhook-timeout-ms',
    env: 'WEBHOOK_TIMEOUT_MS',
    setting: 'webhookTimeoutMs',
    type: { kind: 'int', min: 100, max: 600_000 },
    shown: '5000',
    help: 'a webhook receiver must answer within this time, or the attempt fails and is retried'
  },
  {
    flag: 'webhook-queue-size',
    env: 'WEBHOOK_QUEUE_SIZE',
    setting: 'webhookQueueSize',
    type: { kind: 'int', min: 1, max: 10_000_000 },
    shown: '10000',
    help: 'webhook deliveries held at once (waiting or retrying); past it, new events are dropped, counted and logged'
  },
  {
    flag: 'history',
    env: 'HISTORY',
    setting: 'history',
    type: { kind: 'choice', choices: ['on', 'off'] },
    shown: 'on',
    help: 'keep document history (versions); off records none (stored versions stay readable)'
  },
  {
    flag: 'history-idle-ms',
    env: 'HISTORY_IDLE_MS',
    setting: 'historyIdleMs',
    type: { kind: 'int', min: 100, max: 86_400_000 },
    shown: '10000',
    help: 'cut a version once a document has had no change for this long'
  },
  {
    flag: 'history-max-ms',
    env: 'HISTORY_MAX_MS',
    setting: 'historyMaxMs',
    type: { kind: 'int', min: 1000, max: 86_400_000 },
    shown: '300000',
    help: 'a version spans at most this much continuous editing'
  },
  {
    flag: 'history-detail-ms',
    env: 'HISTORY_DETAIL_MS',
    setting: 'historyDetailMs',
    type: { kind: 'int', min: 0, max: 2 ** 42 },
    shown: '2592000000',
    help: 'versions older than this (30 days) are merged into one per hour; named ones are kept (0: never)'
  },
  {
    flag: 'history-keep-ms',
    env: 'HISTORY_KEEP_MS',
    setting: 'historyKeepMs',
    type: { kind: 'int', min: 0, max: 2 ** 42 },
    shown: '0',
    help: 'versions older than this are merged away, named ones kept (0: keep forever)'
  },
  {
    flag: 'redis',
    env: 'REDIS_URL',
    setting: 'redis',
    type: { kind: 'string' },
    shown: 'none',
    help: 'cluster mode: keep documents in this Redis (redis://HOST:PORT, redis-cluster://HOST:PORT,HOST:PORT for a Redis Cluster, or redis-sentinel://HOST:PORT,HOST:PORT/NAME for the primary Sentinel knows as NAME) and share them with every instance using it; --data is then unused'
  },
  {
    flag: 'redis-accept-risk',
    env: 'REDIS_ACCEPT_RISK',
    setting: 'redisAcceptRisk',
    type: { kind: 'boolean' },
    shown: 'false',
    help: 'start even if Redis persistence can lose acknowledged writes (appendonly no, appendfsync not always, an eviction policy)'
  },
  {
    flag: 'redis-timeout-ms',
    env: 'REDIS_TIMEOUT_MS',
    setting: 'redisTimeoutMs',
    type: { kind: 'int', min: 100, max: 3_600_000 },
    shown: '15000',
    help: 'a Redis connection that leaves a command unanswered this long is cut and made again; what was in flight fails and is retried (longer than any pause Redis should ride out)'
  }
]
