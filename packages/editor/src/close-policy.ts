/**
 * What to do when the server closes the connection, by close code (PROTOCOL.md, rules C1 and C2). Pure,
 * so the policy is one table that tests can read. Retrying is the default: a client that gives
 * up wrongly leaves a dead editor, so it stops only when the code says retrying cannot help.
 */
import { CloseCode } from '@quire/protocol'

/** The connection states a close can end in for good. */
export type FinalConnection = 'unauthorized' | 'forbidden' | 'error'

/** The decision for one close code. */
export type CloseVerdict =
  /** Temporary: keep the edits, reconnect with backoff. */
  | { action: 'retry' }
  /** Permanent: the same connection would be closed again; stop and report `connection`. */
  | { action: 'stop'; connection: FinalConnection }

const RETRY: CloseVerdict = { action: 'retry' }

/** Codes after which reconnecting cannot help, and the state each one ends in. */
const FINAL: ReadonlyMap<number, FinalConnection> = new Map([
  // The token expired or was refused mid-session: only a new token helps.
  [CloseCode.Unauthorized, 'unauthorized'],
  [CloseCode.Forbidden, 'forbidden'],
  // This client sent something the server will refuse again on every reconnect (the sync
  // resends the same state and the same awareness), or the stored document needs an operator.
  [CloseCode.MalformedMessage, 'error'],
  [CloseCode.InvalidUpdate, 'error'],
  [CloseCode.DocumentDamaged, 'error'],
  [CloseCode.AwarenessTooLarge, 'error'],
  [CloseCode.MessageTooBig, 'error'],
  [CloseCode.PolicyViolation, 'error']
])

/**
 * Retry or stop after the server closed with `code`, by the bands of PROTOCOL.md rule C2: any
 * other 44xx code ("retrying the same thing cannot help") stops with `error`; everything else,
 * transient conditions (1001, 1011, 1013, 45xx: overload, idle, too fast, storage) and 1006 (the
 * connection dropped without a close frame, as with a refused upgrade or an unreachable server)
 * included, is retried.
 */
export function closeVerdict(code: number): CloseVerdict {
  const connection = FINAL.get(code)
  if (connection !== undefined) return { action: 'stop', connection }
  if (code >= 4400 && code < 4500) return { action: 'stop', connection: 'error' }
  return RETRY
}

/** Words for a close that came without a reason (the server always sends one; proxies may not). */
export function closeReason(code: number, reason: string): string {
  if (reason.trim() !== '') return reason
  switch (code) {
    case CloseCode.Unauthorized:
      return 'the access token is no longer valid'
    case CloseCode.Forbidden:
      return 'the access token does not allow this'
    case CloseCode.MalformedMessage:
      return 'the server could not decode a message from this editor'
    case CloseCode.InvalidUpdate:
      return 'the server refused a change from this editor'
    case CloseCode.DocumentDamaged:
      return "the document's stored data is damaged"
    case CloseCode.MessageTooBig:
      return 'a message was larger than the server accepts'
    case CloseCode.AwarenessTooLarge:
      return 'the presence state was larger than the server accepts'
    default:
      return `the server closed the connection (code ${code})`
  }
}
