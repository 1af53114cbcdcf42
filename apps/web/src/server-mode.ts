/**
 * Whether the server is open (anyone with a document's address may read and edit it) or needs
 * access links (started with `--auth-secret`). The server says so at `GET /api/server`; a page
 * also learns it from what it sees (a connection without a token means open). The answer is kept
 * for this tab.
 */

import type { EditorStatus } from '@quire/editor'

/** What the app knows about the server's access rule. */
export type ServerMode = 'open' | 'tokens' | 'unknown'

const KEY = 'quire:server-mode'

function storage(): Pick<Storage, 'getItem' | 'setItem'> | undefined {
  try {
    return globalThis.sessionStorage
  } catch {
    return undefined
  }
}

/** The mode learnt earlier in this tab, or `unknown`. */
export function knownServerMode(store = storage()): ServerMode {
  try {
    const mode = store?.getItem(KEY)
    return mode === 'open' || mode === 'tokens' ? mode : 'unknown'
  } catch {
    return 'unknown'
  }
}

/** Keep `mode` for this tab (an `unknown` answer changes nothing). */
export function rememberServerMode(mode: ServerMode, store = storage()): void {
  if (mode === 'unknown') return
  try {
    store?.setItem(KEY, mode)
  } catch {
    // Best effort: the next page asks again.
  }
}

/** The mode a document page's status reveals: a connection without a token is an open server. */
export function modeFromStatus(status: EditorStatus, hasToken: boolean): ServerMode {
  if (hasToken) return 'unknown'
  if (status.connection === 'connected') return 'open'
  if (status.connection === 'unauthorized') return 'tokens'
  return 'unknown'
}

/** The server's mode: remembered, or asked once with `GET /api/server`. Never throws; an unreachable server is `unknown`. */
export async function serverMode(fetchImpl: typeof fetch = fetch): Promise<ServerMode> {
  const known = knownServerMode()
  if (known !== 'unknown') return known
  try {
    const response = await fetchImpl('/api/server', { headers: { accept: 'application/json' }, cache: 'no-store' })
    const access = response.ok ? ((await response.json()) as { access?: unknown }).access : undefined
    const mode: ServerMode = access === 'open' || access === 'tokens' ? access : 'unknown'
    rememberServerMode(mode)
    return mode
  } catch {
    return 'unknown'
  }
}

/** What an open server means for the people writing on it, in one sentence. */
export const OPEN_SERVER_WARNING =
  'This server is open: anyone who has the address of a document can read and edit it. New documents get a random name nobody can guess, so share links only with people you trust.'
