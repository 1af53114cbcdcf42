/**
 * Dispatch of `/api/...` requests to route modules (one file per resource, listed in routes.ts).
 * A route is a path pattern and a handler per method:
 *
 *   '/api/docs/{name+}'                  {name+}: a document name, one or more segments (N1–N4)
 *   '/api/docs/{name+}/versions/{id}'    {id}: one segment, percent-decoded once
 *
 * Document names contain `/`, so a pattern is matched from both ends, and when several match the
 * one with the most literal segments wins: `/api/docs/a/versions` is the versions of `a`, not the
 * document `a/versions`. Unknown paths get a JSON 404, known paths with another method a 405
 * with `Allow`; HEAD is answered by GET. A handler throws {@link HttpError} for a 4xx; anything
 * else it throws is a 500 and is logged, and the process keeps running.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseDocumentPath } from '@quire/protocol'
import type { RequestTarget } from '../connection/admission.js'
import { HttpError } from './http-error.js'
import { sendError } from './respond.js'
import type { RouteContext } from './routes.js'

/** Methods a route may answer (HEAD comes with GET). */
export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH'

/** One API request, as a handler sees it. */
export interface ApiCall {
  req: IncomingMessage
  res: ServerResponse
  ctx: RouteContext
  /** The query parameters. */
  query: URLSearchParams
  /** Path parameters: `name` is the canonical document name, others are decoded segments. */
  params: Record<string, string>
  /** The address the request counts under (the client a trusted proxy names, else the peer). */
  address: string
}

/** A route's handler for one method; resolves once it has answered. */
export type ApiHandler = (call: ApiCall) => void | Promise<void>

/** One route: a path pattern and its methods. */
export interface ApiRoute {
  path: string
  methods: Partial<Record<Method, ApiHandler>>
}

type Segment = { literal: string } | { param: string } | { name: string }

interface Compiled {
  route: ApiRoute
  before: Segment[]
  /** The {name+} parameter, if the pattern has one, and the segments after it. */
  name: string | undefined
  after: Segment[]
  literals: number
}

/** Build the dispatcher for `routes`; it answers every request whose path starts with `/api/`. */
export function apiDispatcher(routes: readonly ApiRoute[]): (ctx: RouteContext, req: IncomingMessage, res: ServerResponse, target: RequestTarget) => void {
  const compiled = routes.map(compile)
  return (ctx, req, res, target) => {
    const segments = target.path.split('/').slice(1)
    let best: { compiled: Compiled; params: Record<string, string> } | HttpError | undefined
    for (const candidate of compiled) {
      const matched = match(candidate, segments)
      if (matched === undefined) continue
      if (best === undefined || best instanceof HttpError || candidate.literals > best.compiled.literals) {
        best = matched instanceof HttpError ? (best ?? matched) : { compiled: candidate, params: matched }
      }
    }
    if (best === undefined) return sendError(res, 404, `no API route ${target.path}`)
    if (best instanceof HttpError) return sendError(res, best.status, best.message)
    const methods = best.compiled.route.methods
    const allow = allowed(methods)
    const method = req.method === 'HEAD' ? 'GET' : (req.method as Method)
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { Allow: allow, 'Cache-Control': 'no-store' })
      return void res.end()
    }
    const handler = Object.hasOwn(methods, method) ? methods[method] : undefined
    if (!handler) return sendError(res, 405, `method ${req.method} is not allowed here; allowed: ${allow}`, { Allow: allow })
    const call: ApiCall = { req, res, ctx, query: target.params, params: best.params, address: ctx.gate.clientAddress(req.socket.remoteAddress, req.headers) }
    let result: void | Promise<void>
    try {
      result = handler(call)
    } catch (error) {
      return failed(ctx, res, error)
    }
    if (result) result.catch((error: unknown) => failed(ctx, res, error))
  }
}

function allowed(methods: ApiRoute['methods']): string {
  const names = Object.keys(methods)
  if (names.includes('GET')) names.splice(names.indexOf('GET') + 1, 0, 'HEAD')
  return [...names, 'OPTIONS'].join(', ')
}

function failed(ctx: RouteContext, res: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) {
    if (res.headersSent) return void res.destroy()
    if ((error as { closeConnection?: boolean }).closeConnection) res.setHeader('Connection', 'close')
    return sendError(res, error.status, error.message, error.headers)
  }
  ctx.failed(error)
  if (res.headersSent) res.destroy()
  else sendError(res, 500, 'internal error')
}

function compile(route: ApiRoute): Compiled {
  const parts: Segment[] = route.path
    .split('/')
    .slice(1)
    .map((part) => {
      const name = /^\{(\w+)\+\}$/.exec(part)
      if (name) return { name: name[1]! }
      const param = /^\{(\w+)\}$/.exec(part)
      return param ? { param: param[1]! } : { literal: part }
    })
  const at = parts.findIndex((part) => 'name' in part)
  const literals = parts.filter((part) => 'literal' in part).length
  if (at === -1) return { route, before: parts, name: undefined, after: [], literals }
  return { route, before: parts.slice(0, at), name: (parts[at] as { name: string }).name, after: parts.slice(at + 1), literals }
}

// The path parameters if `segments` fit the pattern; an HttpError if they fit but a parameter is
// not valid (a bad document name: 400); undefined if they do not fit.
function match(compiled: Compiled, segments: string[]): Record<string, string> | HttpError | undefined {
  const { before, after, name } = compiled
  if (name === undefined ? segments.length !== before.length : segments.length < before.length + 1 + after.length) return undefined
  const params: Record<string, string> = {}
  const tail = segments.slice(segments.length - after.length)
  const fixed: Array<[Segment, string]> = [
    ...before.map((part, i): [Segment, string] => [part, segments[i]!]),
    ...after.map((part, i): [Segment, string] => [part, tail[i]!])
  ]
  for (const [part, segment] of fixed) {
    if ('literal' in part) {
      if (part.literal !== segment) return undefined
    } else if ('param' in part) {
      if (segment === '') return undefined
      try {
        params[part.param] = decodeURIComponent(segment)
      } catch {
        return new HttpError(400, `path parameter ${part.param} has invalid percent-encoding`)
      }
    }
  }
  if (name !== undefined) {
    const parsed = parseDocumentPath(`/${segments.slice(before.length, segments.length - after.length).join('/')}`)
    if (!parsed.ok) return new HttpError(400, parsed.reason)
    params[name] = parsed.name
  }
  return params
}
