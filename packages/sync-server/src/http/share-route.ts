/**
 * `POST /api/share/<doc>?access=read|write`: a person who holds a token for a document makes an
 * access link for it without the operator's command line. The caller's own token (in
 * `Authorization: Bearer …`, or `?token=`) is checked exactly as a WebSocket's would be (failed
 * guesses count towards the address's block), and the new token never grants more than it
 * (SH1): the one document (never a folder), the same or lesser access, no later expiry, and no
 * user name (the caller's name must not travel to whoever opens the link). Optional
 * `expiresIn=<seconds>` shortens it further.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { signToken } from '../auth/token.js'
import type { Gate, RequestTarget } from '../connection/admission.js'
import { answerPreflight, jsonHeaders, sendJson } from './cors.js'

/** The path prefix of the share endpoint. */
export const SHARE_PREFIX = '/api/share/'

const METHODS = 'POST, OPTIONS'

/** What the share endpoint needs from the server. */
export interface ShareContext {
  gate: Gate
  /** The HS256 secret; undefined on an open server, which has no tokens to make. */
  authSecret: string | undefined
  /** A link was made (for the log; never the token). */
  made(document: string, access: 'read' | 'write', expiresAt: number): void
}

// "Bearer <token>", or ?token= as everywhere else.
function callerToken(req: IncomingMessage, params: URLSearchParams): string | null {
  const header = req.headers.authorization
  const bearer = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1]
  return bearer ?? params.get('token')
}

/** Answer a request whose path starts with {@link SHARE_PREFIX}. */
export function answerShare(ctx: ShareContext, req: IncomingMessage, res: ServerResponse, target: RequestTarget): void {
  const headers = jsonHeaders(ctx.gate, req)
  if (req.method === 'OPTIONS') return answerPreflight(req, res, headers, METHODS)
  if (req.method !== 'POST') return sendJson(res, 405, { ...headers, Allow: METHODS }, { error: 'method not allowed: use POST' })
  const secret = ctx.authSecret
  if (secret === undefined) {
    return sendJson(res, 404, headers, {
      error: 'this server is open (no --auth-secret): a document is shared by its address, which lets anyone read and edit it; there are no access links'
    })
  }
  const wanted = target.params.get('access')
  if (wanted !== 'read' && wanted !== 'write') return sendJson(res, 400, headers, { error: 'access must be "read" or "write"' })
  const expiresIn = target.params.get('expiresIn')
  const seconds = expiresIn === null ? undefined : Number(expiresIn)
  if (seconds !== undefined && !(Number.isInteger(seconds) && seconds > 0))
    return sendJson(res, 400, headers, { error: 'expiresIn must be a positive whole number of seconds' })
  // The caller's token goes through the same check as a WebSocket's, under the same address.
  const params = new URLSearchParams()
  const token = callerToken(req, target.params)
  if (token !== null) params.set('token', token)
  const address = ctx.gate.clientAddress(req.socket.remoteAddress, req.headers)
  ctx.gate.check(target.path.slice(SHARE_PREFIX.length - 1), params, address).then(
    async (verdict) => {
      if (!verdict.ok) return sendJson(res, verdict.status, headers, { error: verdict.message })
      if (wanted === 'write' && verdict.access !== 'write') {
        return sendJson(res, 403, headers, { error: 'your access only allows reading, so you can share reading only' })
      }
      const now = Math.floor(Date.now() / 1000)
      const until = Math.min(verdict.expiresAt ?? now, seconds === undefined ? Number.POSITIVE_INFINITY : now + seconds)
      if (until <= now) return sendJson(res, 401, headers, { error: 'token has expired' })
      const made = await signToken(secret, { doc: verdict.name, access: wanted, expiresInSeconds: until - now, expiresAt: until })
      ctx.made(verdict.name, wanted, until)
      sendJson(res, 200, headers, { document: verdict.name, access: wanted, token: made, expiresAt: until })
    },
    () => sendJson(res, 500, headers, { error: 'internal error' })
  )
}
