/**
 * Every WebSocket close code the server sends, named in one place (rule C1 in PROTOCOL.md).
 * 1000–1015 are the RFC 6455 codes; 4000–4999 are Quire's own, in two bands (rule C2):
 * 44xx means "retrying the same thing cannot help", and y-websocket 3.x stops reconnecting on
 * it; every transient condition uses 1001, 1011, 1013 or 45xx, which every client retries.
 */
export const CloseCode = {
  /** The client or server is done with the connection. */
  Normal: 1000,
  /** The server is shutting down; reconnect later. */
  GoingAway: 1001,
  /** The connection broke a policy not covered by a more specific code. */
  PolicyViolation: 1008,
  /** A frame was larger than the server's message limit. */
  MessageTooBig: 1009,
  /** An unexpected server error; the client may reconnect. */
  InternalError: 1011,
  /** The server is overloaded (for example a send buffer that never drains); reconnect later. */
  TryAgainLater: 1013,
  /** A frame could not be decoded: truncated, trailing bytes, unknown type. */
  MalformedMessage: 4400,
  /** The token expired during the session. */
  Unauthorized: 4401,
  /** The token does not allow what the client tried. */
  Forbidden: 4403,
  /** The document was deleted (by an operator, through the admin API or `quire rm`); reconnecting starts a new, empty one. */
  DocumentDeleted: 4410,
  /** An awareness state was larger than the server allows. */
  AwarenessTooLarge: 4413,
  /**
   * A Yjs update or awareness update in a well-formed frame was malformed, or would cost
   * more to apply than the server allows.
   */
  InvalidUpdate: 4422,
  /** The document's stored data could not be written; the client should reconnect and resend. */
  StorageFailure: 4500,
  /** The document's stored data cannot be decoded; it is left untouched for an operator. */
  DocumentDamaged: 4501,
  /** The document could not be loaded from storage (an I/O error, not damage). */
  LoadFailed: 4503,
  /** The connection sent nothing (not even awareness renewals) for too long; transient (C2). */
  IdleTimeout: 4508,
  /**
   * The client kept sending past a hard bound while the server had stopped reading it (it was
   * over its rate budget); transient (C2). Being over the rate alone only slows a client down.
   */
  RateLimited: 4529
} as const

/** One of the close codes in {@link CloseCode}. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode]

/** The name of a close code, for logs and metrics labels; `undefined` for codes we never send. */
export function closeCodeName(code: number): string | undefined {
  for (const [name, value] of Object.entries(CloseCode)) if (value === code) return name
  return undefined
}
