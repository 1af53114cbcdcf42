/**
 * `GET /api/access/<doc>`: what a WebSocket to the document would be told, as JSON, so a page
 * can say why it cannot connect (browsers hide the status of a refused upgrade). Pages on the
 * origins `--allowed-origins` lists may read it across origins (cors.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Gate, RequestTarget } from '../connection/admission.js'
import { answerPreflight, jsonHeaders, sendJson } from './cors.js'

/** The path prefix of the access check. */
export const ACCESS_PREFIX = '/api/access/'

const METHODS = 'GET, HEAD, OPTIONS'

/** Answer an access-check request (any method) for `target`, whose path starts with {@link ACCESS_PREFIX}. */
export function answerAccess(gate: Gate, req: IncomingMessage, res: ServerResponse, target: RequestTarget): void {
  const headers = jsonHeaders(gate, req)
  if (req.method === 'OPTIONS') return answerPreflight(req, res, headers, METHODS)
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { ...headers, Allow: METHODS }, { error: 'method not allowed' })
  const address = gate.clientAddress(req.socket.remoteAddress, req.headers)
  gate.check(target.path.slice(ACCESS_PREFIX.length - 1), target.params, address).then(
    (verdict) =>
      verdict.ok
        ? sendJson(res, 200, headers, { document: verdict.name, access: verdict.access })
        : sendJson(res, verdict.status, headers, { error: verdict.message }),
    () => sendJson(res, 500, headers, { error: 'internal error' })
  )
}
