/**
 * The status a host app shows: how the editor is connected, whether every local change is
 * durably stored on the server, and whether the user may edit. A pure reducer, so the rules
 * (for example "a final state stays final", "no flicker between offline and connecting") live
 * in one place.
 */

/** How the editor is connected to the server. */
export type Connection =
  /** Trying to reach the server for the first time. */
  | 'connecting'
  /** Connected and in sync with the server. */
  | 'connected'
  /** Not connected for now (unreachable, restarting, busy); edits are kept and retried with backoff. */
  | 'offline'
  /** The server refused the token (missing, bad or expired); retrying stopped. */
  | 'unauthorized'
  /** The token is valid but not for this document; retrying stopped. */
  | 'forbidden'
  /** The server closed the connection for a reason retrying cannot fix; retrying stopped. */
  | 'error'

/** A snapshot of the editor's status. */
export interface EditorStatus {
  readonly connection: Connection
  /** Every local change has been acknowledged as durably stored (or there are none). */
  readonly saved: boolean
  /** The user may not edit: asked for by the host, read access only, or syncing stopped. */
  readonly readOnly: boolean
  /**
   * Why the connection is in this state, in the server's words: for `unauthorized`,
   * `forbidden` and `error` always; for `offline` when the server said why (a close reason,
   * or "too many failed authentications"). Cleared once a connection syncs.
   */
  readonly reason?: string
  /** The WebSocket close code behind `reason`, when it came from a close frame. */
  readonly closeCode?: number
  /** Why the editor is read-only, when the server or the token made it so. */
  readonly readOnlyReason?: string
  /**
   * Read-only only until the server says whether the user may write (the first sync without a
   * token, the access check with one whose claims cannot be read), or until a few seconds pass
   * without an answer (offline): typing must not start before a refusal could arrive.
   */
  readonly awaitingAccess?: true
}

/** Something that happened to the connection, as the reducer sees it. */
export type StatusEvent =
  | { type: 'connecting' }
  | { type: 'synced' }
  /** The connection dropped or could not be made; retrying goes on. */
  | { type: 'disconnected'; reason?: string; closeCode?: number }
  /** Retrying stopped for good. */
  | { type: 'stopped'; connection: 'unauthorized' | 'forbidden' | 'error'; reason: string; closeCode?: number }
  | { type: 'read-only'; reason: string }
  /** The server allows writing, or could not say (offline): lift a read-only that was only waiting. */
  | { type: 'writable' }
  | { type: 'saved'; saved: boolean }

/** The status before anything has happened; `awaitingAccess` starts read-only until the server answers. */
export function initialStatus(readOnly: boolean, awaitingAccess = false, readOnlyReason?: string): EditorStatus {
  if (readOnly)
    return readOnlyReason === undefined
      ? { connection: 'connecting', saved: true, readOnly }
      : { connection: 'connecting', saved: true, readOnly, readOnlyReason }
  return awaitingAccess
    ? { connection: 'connecting', saved: true, readOnly: true, awaitingAccess: true }
    : { connection: 'connecting', saved: true, readOnly: false }
}

/** Whether retrying has stopped for good (refused access, or a permanent error). */
export function isFinal(status: EditorStatus): boolean {
  return status.connection === 'unauthorized' || status.connection === 'forbidden' || status.connection === 'error'
}

/** The status after `event`; the same object when nothing changed, so callers can skip no-ops. */
export function nextStatus(status: EditorStatus, event: StatusEvent): EditorStatus {
  if (isFinal(status) && event.type !== 'saved') return status
  switch (event.type) {
    case 'connecting':
      // A retry while offline is still offline to the user; showing "connecting" on every
      // backoff attempt would only make the header flicker.
      if (status.connection === 'offline') return status
      return patch(status, { connection: 'connecting' })
    case 'synced':
      return patch(status, { connection: 'connected', reason: undefined, closeCode: undefined })
    case 'disconnected':
      // A drop without words (the server unreachable) keeps the last explanation, for example
      // "server shutting down" while it restarts.
      return event.reason === undefined
        ? patch(status, { connection: 'offline' })
        : patch(status, { connection: 'offline', reason: event.reason, closeCode: event.closeCode })
    case 'stopped':
      // Edits that can never be sent would only pile up on this device, unseen by anyone.
      return patch(status, { connection: event.connection, reason: event.reason, closeCode: event.closeCode, readOnly: true, awaitingAccess: undefined })
    case 'read-only':
      return patch(status, { readOnly: true, readOnlyReason: event.reason, awaitingAccess: undefined })
    case 'writable':
      return status.awaitingAccess ? patch(status, { readOnly: false, awaitingAccess: undefined }) : status
    case 'saved':
      return patch(status, { saved: event.saved })
  }
}

// Keys whose value is undefined are left out, so statuses compare and print cleanly.
function patch(status: EditorStatus, change: Partial<EditorStatus>): EditorStatus {
  const merged: Record<string, unknown> = { ...status, ...change }
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key]
  const next = merged as unknown as EditorStatus
  const keys = new Set([...Object.keys(status), ...Object.keys(next)]) as Set<keyof EditorStatus>
  for (const key of keys) if (next[key] !== status[key]) return next
  return status
}
