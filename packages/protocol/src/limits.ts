/**
 * Default limits (rule L1 in PROTOCOL.md). The server takes each as a setting; these are the
 * values it uses when none is given. Each limit, when reached, ends in a named close code.
 */
export const DefaultLimits = {
  /** Largest WebSocket message accepted, in bytes; past it the connection closes with 1009. */
  maxMessageBytes: 16 * 1024 * 1024,
  /** Frames a connection may queue while its document loads; past it, 1013. */
  maxQueuedFramesWhileLoading: 1024
} as const
