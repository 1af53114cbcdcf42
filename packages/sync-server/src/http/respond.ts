/**
 * Writing API responses: JSON bodies (errors as `{ "error": "..." }`) and raw bodies, never
 * cached by intermediaries unless a route says otherwise.
 */
import type { ServerResponse } from 'node:http'

/** Send `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(body))
}

/** Send the API's error shape: `{ "error": message }`. */
export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: message }, headers)
}

/** Send bytes or text with the given headers (Content-Type among them); HEAD requests get the headers only. */
export function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Uint8Array): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  res.writeHead(status, { 'Cache-Control': 'no-store', ...headers, 'Content-Length': String(bytes.length) })
  if (res.req.method === 'HEAD' || status === 204 || status === 304) res.end()
  else res.end(bytes)
}
