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
  | { kind: 'boolean' }
  | { kind: 'choice'; choices: readonly string[] }

/** One `quire serve` flag. */
export interface FlagSpec {
  flag: string
  env: string
  setting: keyof ServerSettings | 'logLevel'
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
  { flag: 'fsync', env: 'FSYNC', setting: 'fsync', type: { kind: 'boolean' }, shown: 'false', help: 'fsync every write before relaying it (survives power loss, slower)' },
  { flag: 'log-level', env: 'LOG_LEVEL', setting: 'logLevel', type: { kind: 'choice', choices: LOG_LEVELS }, shown: 'info', help: 'least severe log level written (JSON lines on stdout)' },
  { flag: 'web-dir', env: 'WEB_DIR', setting: 'webDir', type: { kind: 'string' }, shown: 'apps/web/dist', help: 'built web app to serve on the same port' },
  { flag: 'max-message-bytes', env: 'MAX_MESSAGE_BYTES', setting: 'maxMessageBytes', type: { kind: 'int', min: 1024, max: 1024 ** 3 }, shown: '16777216', help: 'largest WebSocket message accepted; larger ones close the connection with 1009' },
  { flag: 'ping-interval-ms', env: 'PING_INTERVAL_MS', setting: 'pingIntervalMs', type: { kind: 'int', min: 100, max: 3_600_000 }, shown: '30000', help: 'keepalive ping interval; a dead connection is closed within two' },
  { flag: 'unload-grace-ms', env: 'UNLOAD_GRACE_MS', setting: 'unloadGraceMs', type: { kind: 'int', min: 0, max: 3_600_000 }, shown: '5000', help: 'how long a document stays in memory after its last client leaves' },
  { flag: 'compact-every', env: 'COMPACT_EVERY', setting: 'compactEvery', type: { kind: 'int', min: 1, max: 1_000_000 }, shown: '500', help: 'compact a document once this many log entries follow its snapshot' }
]
