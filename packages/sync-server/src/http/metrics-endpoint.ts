/**
 * `GET /metrics`: Prometheus text, optionally behind a bearer token (`--metrics-token`). It is
 * served either on the main port or, with `--metrics-port`, on a listener of its own.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Registry } from 'prom-client'

/** Answers one request for the metrics. */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => void

/** The metrics of `registry`; with a `token`, only for requests bearing it (401 otherwise). */
export function metricsEndpoint(registry: Registry, token: string | undefined): MetricsHandler {
  const expected = token === undefined ? undefined : digest(token)
  return (req, res) => {
    if (expected !== undefined && !bears(req.headers.authorization, expected)) {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'WWW-Authenticate': 'Bearer realm="metrics"' })
      return void res.end('metrics need "Authorization: Bearer <metrics token>"\n')
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' })
        res.end(body)
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
        res.end('metrics unavailable\n')
      }
    )
  }
}

// Compared as digests, so neither the length nor the content leaks through timing.
function bears(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '')
  return match !== null && timingSafeEqual(digest(match[1]!), expected)
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
