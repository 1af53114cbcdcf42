/**
 * The status a host app shows: how the editor is connected, whether every local change is
 * durably stored on the server, and whether the user may edit. A pure reducer, so the rules
 * (for example "refused is final", "no flicker between offline and connecting") live in one place.
 */

/** How the editor is connected to the server. */
export type Connection =
  /** Trying to reach the server for the first time. */
  | 'connecting'
  /** Connected and in sync with the server. */
  | 'connected'
  /** The server cannot be reached; edits are kept locally and retried with backoff. */
  | 'offline'
  /** The server refused the token (missing, bad or expired); retrying stopped. */
  | 'unauthorized'
  /** The token is valid but not for this document; retrying stopped. */
  | 'forbidden'

/** A snapshot of the editor's status. */
export interface EditorStatus {
  readonly connection: Connection
  /** Every local change has been acknowledged as durably stored (or there are none). */
  readonly saved: boolean
  /** The user may not edit: asked for by the host, read access only, or access refused. */
  readonly readOnly: boolean
  /** Why the connection was refused or the document is read-only, in words for people. */
  readonly reason?: string
}

/** Something that happened to the connection, as the reducer sees it. */
export type StatusEvent =
  | { type: 'connecting' }
  | { type: 'synced' }
  | { type: 'disconnected' }
  | { type: 'refused'; connection: 'unauthorized' | 'forbidden'; reason: string }
  | { type: 'read-only'; reason: string }
  | { type: 'saved'; saved: boolean }

/** The status before anything has happened. */
export function initialStatus(readOnly: boolean): EditorStatus {
  return { connection: 'connecting', saved: true, readOnly }
}

/** Whether retrying has stopped because the server refused access. */
export function isRefused(status: EditorStatus): boolean {
  return status.connection === 'unauthorized' || status.connection === 'forbidden'
}

/** The status after `event`; the same object when nothing changed, so callers can skip no-ops. */
export function nextStatus(status: EditorStatus, event: StatusEvent): EditorStatus {
  switch (event.type) {
    case 'connecting':
      // A retry while offline is still offline to the user; showing "connecting" on every
      // backoff attempt would only make the header flicker.
      if (isRefused(status) || status.connection === 'offline') return status
      return patch(status, { connection: 'connecting' })
    case 'synced':
      return isRefused(status) ? status : patch(status, { connection: 'connected' })
    case 'disconnected':
      return isRefused(status) ? status : patch(status, { connection: 'offline' })
    case 'refused':
      // Edits that can never be sent would only pile up in the cache and be lost to the user.
      return patch(status, { connection: event.connection, reason: event.reason, readOnly: true })
    case 'read-only':
      return patch(status, { readOnly: true, reason: event.reason })
    case 'saved':
      return patch(status, { saved: event.saved })
  }
}

function patch(status: EditorStatus, change: Partial<EditorStatus>): EditorStatus {
  const next = { ...status, ...change }
  const same = (Object.keys(next) as Array<keyof EditorStatus>).every(key => next[key] === status[key])
  return same ? status : next
}
