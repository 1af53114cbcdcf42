/**
 * Asking the server why a connection failed. A browser cannot read the HTTP status of a refused
 * WebSocket upgrade, so after a failed attempt the editor asks `GET /api/access/<document>`,
 * which answers with the same decision and a reason a person can read.
 */
import { documentPath } from '@quire/protocol'
import { serverHttpUrl } from './server-api.js'

/** What the server said about access to a document. */
export type Access =
  | { kind: 'granted'; access: 'read' | 'write' }
  | { kind: 'refused'; connection: 'unauthorized' | 'forbidden'; reason: string }
  /** Turned away for now (HTTP 429: too many failed attempts from this address). Keep retrying. */
  | { kind: 'wait'; reason: string }
  /** No answer worth acting on: unreachable, or a server without the endpoint. Keep retrying. */
  | { kind: 'unknown' }

/** The access endpoint for `document` on the server at `serverUrl` (`ws:`, `wss:`, `http:` or `https:`). */
export function accessUrl(serverUrl: string, document: string, token?: string): string {
  const url = serverHttpUrl(serverUrl, `/api/access${documentPath(document)}`)
  if (token !== undefined) url.searchParams.set('token', token)
  return url.toString()
}

/** Read an access endpoint response. */
export function interpretAccess(status: number, body: unknown): Access {
  const error =
    typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : undefined
  if (status === 200) {
    const access = (body as { access?: unknown } | null)?.access
    return access === 'read' || access === 'write' ? { kind: 'granted', access } : { kind: 'unknown' }
  }
  if (status === 401) return { kind: 'refused', connection: 'unauthorized', reason: error ?? 'The server needs a valid access token.' }
  if (status === 403) return { kind: 'refused', connection: 'forbidden', reason: error ?? 'The access token does not allow this document.' }
  if (status === 400) return { kind: 'refused', connection: 'forbidden', reason: error ?? 'The server does not accept this document name.' }
  if (status === 429) return { kind: 'wait', reason: error ?? 'Too many failed attempts; try again later.' }
  return { kind: 'unknown' }
}

/** Ask the server about access; never throws. A server that does not answer within `timeoutMs` is `unknown`. */
export async function checkAccess(url: string, fetchImpl: typeof fetch = fetch, timeoutMs = 10_000): Promise<Access> {
  try {
    const response = await fetchImpl(url, { headers: { accept: 'application/json' }, cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) })
    const body: unknown = await response.json().catch(() => null)
    return interpretAccess(response.status, body)
  } catch {
    return { kind: 'unknown' }
  }
}

/**
 * The access a token's claims name (Quire tokens are JWTs whose `access` claim is `read` or
 * `write`), read without checking the signature: only the server can vouch for a token, but what
 * a token claims is enough to keep a read-only person from typing before the server answers.
 * Undefined for anything else (an opaque token, a garbled one).
 */
export function claimedAccess(token: string | undefined): 'read' | 'write' | undefined {
  const payload = token?.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '=')
    )
    const access = (JSON.parse(json) as { access?: unknown } | null)?.access
    return access === 'read' || access === 'write' ? access : undefined
  } catch {
    return undefined
  }
}
