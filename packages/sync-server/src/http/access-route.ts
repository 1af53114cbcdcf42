/**
 * `GET /api/access/<doc>`: what a WebSocket to the document would be told, as JSON, so a page
 * can say why it cannot connect (browsers hide the status of a refused upgrade). Pages on the
 * origins `--allowed-origins` lists may read it across origins: they get CORS headers, and a
 * preflight (`OPTIONS`, for a later Authorization header) is answered. Other origins get no
 * CORS headers, so their browser keeps the answer from them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Gate, RequestTarget } from '../connection/admission.js'

/** The path prefix of the access check. */
export const ACCESS_PREFIX = '/api/access/'

const METHODS = 'GET, HEAD, OPTIONS'

/** Answer an access-check request (any method) for `target`, whose path starts with {@link ACCESS_PREFIX}. */
export function answerAccess(gate: Gate, req: IncomingMessage, res: ServerResponse, target: RequestTarget): void {
  const allowed = gate.origins.corsOrigin(req.headers.origin)
  // The answer depends on Origin, so caches must keep one per origin.
  const headers: Record<string, string> = { Vary: 'Origin', 'Cache-Control': 'no-store' }
  if (allowed) headers['Access-Control-Allow-Origin'] = allowed
  if (req.method === 'OPTIONS') {
    if (req.headers.origin !== undefined && !allowed) return send(res, 403, headers, { error: `origin ${req.headers.origin} is not allowed` })
    if (allowed) {
      headers['Access-Control-Allow-Methods'] = METHODS
      headers['Access-Control-Allow-Headers'] = 'Authorization'
      headers['Access-Control-Max-Age'] = '600'
    }
    res.writeHead(204, { ...headers, Allow: METHODS })
    return void res.end()
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { ...headers, Allow: METHODS }, { error: 'method not allowed' })
  const address = gate.clientAddress(req.socket.remoteAddress, req.headers)
  gate.check(target.path.slice(ACCESS_PREFIX.length - 1), target.params, address).then(
    (verdict) =>
      verdict.ok ? send(res, 200, headers, { document: verdict.name, access: verdict.access }) : send(res, verdict.status, headers, { error: verdict.message }),
    () => send(res, 500, headers, { error: 'internal error' })
  )
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}
