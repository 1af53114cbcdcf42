/**
 * The server's small HTTP API beside its WebSockets: how it is run (`GET /api/server`) and
 * making access links (`POST /api/share/<doc>`). Both answer JSON, with CORS headers for pages
 * on the origins the server lists in `--allowed-origins`.
 */
import { DefaultLimits, documentPath } from '@quire/protocol'

/** The HTTP(S) address of `path` on the server at `serverUrl` (`ws:`, `wss:`, `http:` or `https:`); a path prefix is kept. */
export function serverHttpUrl(serverUrl: string, path: string): URL {
  const url = new URL(serverUrl)
  url.protocol = url.protocol === 'wss:' || url.protocol === 'https:' ? 'https:' : 'http:'
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`
  url.search = ''
  return url
}

/** How a server is run, as far as an editor cares. */
export interface ServerInfo {
  /** `open`: anyone with a document's address may read and edit it; `tokens`: access links are needed; `unknown`: it did not say. */
  access: 'open' | 'tokens' | 'unknown'
  /** The largest message the server accepts; a larger local change is sent in parts. */
  maxMessageBytes: number
}

/** What is assumed of a server that does not say (a stock y-websocket server, or none reachable). */
export const UNKNOWN_SERVER: ServerInfo = { access: 'unknown', maxMessageBytes: DefaultLimits.maxMessageBytes }

/** Ask the server how it is run; never throws (an older or stock server is {@link UNKNOWN_SERVER}). */
export async function fetchServerInfo(serverUrl: string, fetchImpl: typeof fetch = fetch, timeoutMs = 10_000): Promise<ServerInfo> {
  try {
    const response = await fetchImpl(serverHttpUrl(serverUrl, '/api/server'), {
      headers: { accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(timeoutMs)
    })
    if (!response.ok) return UNKNOWN_SERVER
    const body = (await response.json()) as { access?: unknown; maxMessageBytes?: unknown }
    const access = body.access === 'open' || body.access === 'tokens' ? body.access : 'unknown'
    const limit = typeof body.maxMessageBytes === 'number' && body.maxMessageBytes >= 1024 ? body.maxMessageBytes : UNKNOWN_SERVER.maxMessageBytes
    return { access, maxMessageBytes: limit }
  } catch {
    return UNKNOWN_SERVER
  }
}

/** A link's token, as the server made it. */
export interface SharedAccess {
  /** The canonical document name. */
  document: string
  access: 'read' | 'write'
  /** The new token: put it in the link (`?token=`). */
  token: string
  /** When it expires, in seconds since the epoch (never later than the token it was made with). */
  expiresAt: number
}

/**
 * Ask the server for a token to `document` with `access`, made from `token` (which must allow at
 * least that). Throws an `Error` with the server's reason when it refuses (an open server has no
 * links; a read token cannot make an edit link).
 */
export async function requestAccessLink(
  serverUrl: string,
  document: string,
  token: string | undefined,
  access: 'read' | 'write',
  expiresInSeconds?: number,
  fetchImpl: typeof fetch = fetch
): Promise<SharedAccess> {
  const url = serverHttpUrl(serverUrl, `/api/share${documentPath(document)}`)
  url.searchParams.set('access', access)
  if (expiresInSeconds !== undefined) url.searchParams.set('expiresIn', String(expiresInSeconds))
  const headers: Record<string, string> = { accept: 'application/json' }
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  let response: Response
  try {
    response = await fetchImpl(url, { method: 'POST', headers, cache: 'no-store' })
  } catch {
    throw new Error('The server cannot be reached, so no link can be made now.')
  }
  const body = (await response.json().catch(() => ({}))) as Partial<SharedAccess> & { error?: string }
  if (!response.ok || typeof body.token !== 'string') throw new Error(body.error ?? `The server refused (HTTP ${response.status}).`)
  return { document: body.document ?? document, access, token: body.token, expiresAt: body.expiresAt ?? 0 }
}
