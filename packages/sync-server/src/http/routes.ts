/**
 * Plain HTTP on the server's port: health, readiness, metrics, the access check browsers use
 * to learn why a WebSocket was refused, and the built web app.
 */
import { existsSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { Registry } from 'prom-client'
import { type Gate, parseRequestTarget } from '../connection/admission.js'
import { ACCESS_PREFIX, answerAccess } from './access-route.js'

/** What the routes read from the running server. */
export interface RouteContext {
  registry: Registry
  /** Storage open and upgrades accepted. */
  ready(): boolean
  /** Folder of the built web app; undefined when there is none. */
  webDir: string | undefined
  /** Admission control, for the access check. */
  gate: Gate
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** The HTTP request handler. */
export function createRoutes(ctx: RouteContext): Handler {
  const web = ctx.webDir && existsSync(join(ctx.webDir, 'index.html')) ? staticSite(ctx.webDir) : undefined
  return (req, res) => {
    const target = parseRequestTarget(req.url ?? '')
    if (!target) return text(res, 400, 'request target must be a path')
    if (target.path.startsWith(ACCESS_PREFIX)) return answerAccess(ctx.gate, req, res, target)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      return text(res, 405, 'method not allowed')
    }
    const path = target.path
    if (path === '/healthz') return text(res, 200, 'ok')
    if (path === '/readyz') return ctx.ready() ? text(res, 200, 'ready') : text(res, 503, 'not ready')
    if (path === '/metrics') {
      ctx.registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'Content-Type': ctx.registry.contentType })
          res.end(body)
        },
        () => text(res, 500, 'metrics unavailable')
      )
      return
    }
    if (web) return web(req, res)
    text(res, 404, 'not found')
  }
}

// App routes ("/", "/d/<name>") get index.html; a missing asset stays a 404. sirv loads on the
// first request, off the start-up path.
function staticSite(dir: string): Handler {
  const loading = import('sirv').then(({ default: sirv }) => sirv(dir, { etag: true, dev: false, gzip: false, brotli: false }))
  return (req, res) => {
    loading.then(
      (files) =>
        files(req, res, () => {
          const path = parseRequestTarget(req.url ?? '')?.path ?? ''
          if (path === '/' || path.startsWith('/d/')) {
            req.url = '/index.html'
            return files(req, res, () => text(res, 404, 'not found'))
          }
          text(res, 404, 'not found')
        }),
      () => text(res, 500, 'web app unavailable')
    )
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(`${body}\n`)
}
