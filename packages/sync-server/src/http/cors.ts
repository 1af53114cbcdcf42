/**
 * The JSON endpoints pages call (`/api/access`, `/api/server`, `/api/share`): pages on the
 * origins `--allowed-origins` lists may read their answers across origins, so they get CORS
 * headers and their preflights (`OPTIONS`, for an Authorization header) are answered. Other
 * origins get no CORS headers, so their browser keeps the answers from them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Gate } from '../connection/admission.js'

/** The headers every answer of a JSON endpoint carries, CORS included when the origin is listed. */
export function jsonHeaders(gate: Gate, req: IncomingMessage): Record<string, string> {
  const allowed = gate.origins.corsOrigin(req.headers.origin)
  // The answer depends on Origin, so caches must keep one per origin.
  const headers: Record<string, string> = { Vary: 'Origin', 'Cache-Control': 'no-store' }
  if (allowed) headers['Access-Control-Allow-Origin'] = allowed
  return headers
}

/** Answer a preflight (`OPTIONS`) for an endpoint that takes `methods`. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>, methods: string): void {
  const allowed = headers['Access-Control-Allow-Origin']
  if (req.headers.origin !== undefined && !allowed) return sendJson(res, 403, headers, { error: `origin ${req.headers.origin} is not allowed` })
  const answer: Record<string, string> = { ...headers, Allow: methods }
  if (allowed) {
    answer['Access-Control-Allow-Methods'] = methods
    answer['Access-Control-Allow-Headers'] = 'Authorization'
    answer['Access-Control-Max-Age'] = '600'
  }
  res.writeHead(204, answer)
  res.end()
}

/** Send `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}
