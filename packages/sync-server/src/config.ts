import { DefaultLimits } from '@quire/protocol'

/** Server settings with their defaults; the CLI flags map onto these one to one. */
export interface ServerSettings {
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
  /** How long an idle document stays loaded after its last client leaves. */
  unloadGraceMs: number
  /** Compact a document once this many log entries follow its snapshot. */
  compactEvery: number
  /** Frames a connection may send before its document has loaded. */
  maxQueuedFrames: number
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
  unloadGraceMs: 5_000,
  compactEvery: 500,
  maxQueuedFrames: DefaultLimits.maxQueuedFramesWhileLoading
}
