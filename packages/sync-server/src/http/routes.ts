/**
 * Plain HTTP on the server's port: health, readiness, metrics, the access check browsers use
 * to learn why a WebSocket was refused, the server description, access links, the document and
 * admin API (`/api/...`, dispatched to the route modules listed in {@link API_ROUTES}), the built
 * web app, and a page for addresses that lead nowhere.
 */
import { existsSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { ServerSettings } from '../config.js'
import { type Gate, parseRequestTarget } from '../connection/admission.js'
import type { DocumentRegistry } from '../documents/registry.js'
import type { Metrics } from '../metrics.js'
import { ACCESS_PREFIX, answerAccess } from './access-route.js'
import { adminBackupRoutes } from './api/admin-backup.js'
import { adminDocumentRoutes } from './api/admin-documents.js'
import { adminServerRoutes } from './api/admin-server.js'
import { documentRoutes } from './api/documents.js'
import { factsRoutes } from './api/facts.js'
import { historyRoutes } from './api/history.js'
import { openApiRoutes } from './api/openapi-route.js'
import { type ApiRoute, apiDispatcher } from './api-router.js'
import type { MetricsHandler } from './metrics-endpoint.js'
import { notFound } from './not-found-page.js'
import { SECURITY_HEADERS } from './security-headers.js'
import { answerServerInfo, SERVER_INFO_PATH, type ServerInfo } from './server-info-route.js'
import { answerShare, SHARE_PREFIX, type ShareContext } from './share-route.js'
import { staticSite } from './static-site.js'

/**
 * Every `/api/...` route, one module per resource. A new resource adds its module here and its
 * paths to the OpenAPI description (api/openapi.ts); test/openapi.test.ts checks they agree.
 */
export const API_ROUTES: readonly ApiRoute[] = [
  ...documentRoutes,
  ...historyRoutes,
  ...factsRoutes,
  ...adminDocumentRoutes,
  ...adminServerRoutes,
  ...adminBackupRoutes,
  ...openApiRoutes
]

/** What the routes read from the running server. */
export interface RouteContext {
  /** `GET /metrics`; undefined when the metrics are served on a port of their own. */
  metricsEndpoint: MetricsHandler | undefined
  /** The loaded documents: every read and change of a document goes through it. */
  registry: DocumentRegistry
  settings: ServerSettings
  log: Logger
  metrics: Metrics
  /** When the server started listening (ms since the epoch). */
  startedAt: number
  /** Storage open and upgrades accepted. */
  ready(): boolean
  /** Folder of the built web app; undefined when there is none. */
  webDir: string | undefined
  /** Admission control, for the access check. */
  gate: Gate
  /** A request handler threw: the request got a 500, the process keeps running. */
  failed(error: unknown): void
  /** What `GET /api/server` says. */
  info: ServerInfo
  /** Making access links (`POST /api/share/<doc>`). */
  share: Omit<ShareContext, 'gate'>
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** The HTTP request handler. */
export function createRoutes(ctx: RouteContext): Handler {
  const web = ctx.webDir && existsSync(join(ctx.webDir, 'index.html')) ? webApp(ctx.webDir) : undefined
  const api = apiDispatcher(API_ROUTES)
  const handle: Handler = (req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
    const target = parseRequestTarget(req.url ?? '')
    if (!target) return text(res, 400, 'request target must be a path')
    if (target.path.startsWith(ACCESS_PREFIX)) return answerAccess(ctx.gate, req, res, target)
    if (target.path === SERVER_INFO_PATH) return answerServerInfo(ctx.info, ctx.gate, req, res)
    if (target.path.startsWith(SHARE_PREFIX)) return answerShare({ ...ctx.share, gate: ctx.gate }, req, res, target)
    if (target.path.startsWith('/api/')) return api(ctx, req, res, target)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      return text(res, 405, 'method not allowed')
    }
    const path = target.path
    if (path === '/healthz') return text(res, 200, 'ok')
    if (path === '/readyz') return ctx.ready() ? text(res, 200, 'ready') : text(res, 503, 'not ready')
    if (path === '/metrics' && ctx.metricsEndpoint) return ctx.metricsEndpoint(req, res)
    if (web) return web(req, res)
    notFound(req, res)
  }
  // A bug in one request costs that request, never the process.
  return (req, res) => {
    try {
      handle(req, res)
    } catch (error) {
      ctx.failed(error)
      if (res.headersSent) res.destroy()
      else text(res, 500, 'internal error')
    }
  }
}

// App routes ("/", "/d/<name>") get index.html; a missing asset stays a 404.
function webApp(dir: string): Handler {
  const files = staticSite(dir)
  return (req, res) =>
    files(req, res, () => {
      const path = parseRequestTarget(req.url ?? '')?.path ?? ''
      if (path === '/' || path.startsWith('/d/')) {
        req.url = '/index.html'
        return files(req, res, () => notFound(req, res))
      }
      notFound(req, res)
    })
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(`${body}\n`)
}
