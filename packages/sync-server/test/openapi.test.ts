/**
 * AP9: the OpenAPI description at /api/openapi.json against the real routes, both ways: every
 * route (and method) of the dispatcher is described, every described one is a route, and every
 * described operation answers every described status, with a described media type and a JSON
 * body that fits the described schema, from the real server process.
 */
import { type ServerProcess, startServer } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { signAdminToken, signToken } from '../src/auth/token.js'
import { API_ROUTES } from '../src/http/routes.js'

const SECRET = 'openapi-test-secret-0123456789ab'
const ADMIN = 'openapi-test-admin-token-012345'
const MAX_DOC = 4096

type Schema = Record<string, unknown>
type Spec = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>
  components: { schemas: Record<string, Schema> }
}

/** A request that should get one described status. */
interface Example {
  path: string
  token?: string
  body?: Uint8Array | string
  type?: string
  headers?: Record<string, string>
}

// Paths the dispatcher does not serve but the description includes (GET /api/access is older than the dispatcher).
const OUTSIDE_DISPATCHER: Array<{ path: string; methods: string[] }> = [{ path: '/api/access/{name}', methods: ['get'] }]

const OPERATIONS = ['get', 'put', 'post', 'delete', 'patch']

/** The described path of a route pattern. */
const described = (pattern: string) => pattern.replace('{name+}', '{name}')

/** Check `value` against the subset of JSON Schema the description uses; returns what does not fit. */
function misfits(value: unknown, schema: Schema, spec: Spec, at = '$'): string[] {
  if (typeof schema.$ref === 'string') return misfits(value, spec.components.schemas[schema.$ref.split('/').pop()!]!, spec, at)
  const types = schema.type === undefined ? [] : ([] as string[]).concat(schema.type as string | string[])
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value
  if (types.length > 0 && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return [`${at}: ${actual} is not ${types.join('|')}`]
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return [`${at}: ${String(value)} is not one of ${schema.enum.join(', ')}`]
  const found: string[] = []
  if (actual === 'object') {
    const object = value as Record<string, unknown>
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in object)) found.push(`${at}.${key}: missing`)
    for (const [key, sub] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) {
      if (key in object) found.push(...misfits(object[key], sub, spec, `${at}.${key}`))
    }
  }
  if (actual === 'array' && schema.items) (value as unknown[]).forEach((item, i) => found.push(...misfits(item, schema.items as Schema, spec, `${at}[${i}]`)))
  return found
}

describe('AP9: OpenAPI description', () => {
  let server: ServerProcess
  let spec: Spec
  let write: string
  let read: string
  let other: string
  let admin: string

  beforeAll(async () => {
    server = await startServer({ args: ['--auth-secret', SECRET, '--admin-token', ADMIN, '--max-document-bytes', String(MAX_DOC)] })
    ;[write, read, other, admin] = await Promise.all([
      signToken(SECRET, { doc: 'd/*', access: 'write', expiresInSeconds: 600 }),
      signToken(SECRET, { doc: 'd/*', access: 'read', expiresInSeconds: 600 }),
      signToken(SECRET, { doc: 'elsewhere', access: 'write', expiresInSeconds: 600 }),
      signAdminToken(SECRET, { expiresInSeconds: 600 })
    ])
    const response = await fetch(`${server.httpUrl}/api/openapi.json`)
    spec = (await response.json()) as Spec
  }, 60_000)

  afterAll(async () => {
    await server?.kill('SIGTERM')
  })

  it('AP9: is OpenAPI 3.1 and describes exactly the routes the server dispatches', () => {
    expect((spec as unknown as { openapi: string }).openapi).toBe('3.1.0')
    const routes = new Set<string>()
    for (const route of API_ROUTES) for (const method of Object.keys(route.methods)) routes.add(`${method.toLowerCase()} ${described(route.path)}`)
    for (const extra of OUTSIDE_DISPATCHER) for (const method of extra.methods) routes.add(`${method} ${extra.path}`)
    const documented = new Set<string>()
    for (const [path, item] of Object.entries(spec.paths))
      for (const method of Object.keys(item)) if (OPERATIONS.includes(method)) documented.add(`${method} ${path}`)
    expect(
      [...routes].filter((route) => !documented.has(route)),
      'routes not described'
    ).toEqual([])
    expect(
      [...documented].filter((route) => !routes.has(route)),
      'described operations that are not routes'
    ).toEqual([])
  })

  it('AP9/AP4: every described operation answers every described status as described', async () => {
    const base = server.httpUrl
    const put = (path: string, body: string) =>
      fetch(base + path, { method: 'PUT', headers: { Authorization: `Bearer ${write}`, 'Content-Type': 'text/plain' }, body })
    await put('/api/docs/d/there', 'some text')
    await put('/api/docs/d/to-delete', 'going')
    // A version to read, name and restore: naming the live text cuts one.
    await fetch(`${base}/api/docs/d/there/versions/live/label`, { method: 'PUT', headers: { Authorization: `Bearer ${write}` }, body: '{"label":"first"}' })
    await put('/api/docs/d/there', 'some text, later')
    await fetch(`${base}/api/docs/d/quiet/history`, { method: 'PUT', headers: { Authorization: `Bearer ${write}` }, body: '{"enabled":false}' })
    const etag = (await fetch(`${base}/api/docs/d/there`, { headers: { Authorization: `Bearer ${read}` } })).headers.get('etag')!
    const author = new Y.Doc()
    author.getText('codemirror').insert(0, 'an update')
    const update = Y.encodeStateAsUpdate(author)
    const octet = 'application/octet-stream'
    const tooBig = 'x'.repeat(MAX_DOC + 1)
    const examples: Record<string, Example> = {
      'get /api/docs/{name} 200': { path: '/api/docs/d/there', token: read },
      'get /api/docs/{name} 304': { path: '/api/docs/d/there', token: read, headers: { 'If-None-Match': etag } },
      'get /api/docs/{name} 400': { path: '/api/docs/d/bad%20name', token: read },
      'get /api/docs/{name} 401': { path: '/api/docs/d/there' },
      'get /api/docs/{name} 403': { path: '/api/docs/d/there', token: other },
      'get /api/docs/{name} 404': { path: '/api/docs/d/nothing', token: read },
      'get /api/docs/{name} 406': { path: '/api/docs/d/there', token: read, headers: { Accept: 'image/png' } },
      'put /api/docs/{name} 200': { path: '/api/docs/d/there', token: write, body: 'other text', type: 'text/plain' },
      'put /api/docs/{name} 201': { path: '/api/docs/d/new', token: write, body: 'new', type: 'text/plain' },
      'put /api/docs/{name} 400': { path: '/api/docs/d//x', token: write, body: 'x', type: 'text/plain' },
      'put /api/docs/{name} 401': { path: '/api/docs/d/there', body: 'x', type: 'text/plain' },
      'put /api/docs/{name} 403': { path: '/api/docs/d/there', token: read, body: 'x', type: 'text/plain' },
      'put /api/docs/{name} 413': { path: '/api/docs/d/there', token: write, body: tooBig, type: 'text/plain' },
      'put /api/docs/{name} 415': { path: '/api/docs/d/there', token: write, body: 'x', type: 'application/json' },
      'post /api/docs/{name} 200': { path: '/api/docs/d/updated', token: write, body: update, type: octet },
      'post /api/docs/{name} 400': { path: '/api/docs/d/bad%20name', token: write, body: update, type: octet },
      'post /api/docs/{name} 401': { path: '/api/docs/d/updated', body: update, type: octet },
      'post /api/docs/{name} 403': { path: '/api/docs/d/updated', token: read, body: update, type: octet },
      'post /api/docs/{name} 413': { path: '/api/docs/d/updated', token: write, body: tooBig, type: octet },
      'post /api/docs/{name} 415': { path: '/api/docs/d/updated', token: write, body: 'text', type: 'text/plain' },
      'post /api/docs/{name} 422': { path: '/api/docs/d/updated', token: write, body: new Uint8Array([9, 9, 9, 9]), type: octet },
      'get /api/docs/{name}/versions 200': { path: '/api/docs/d/there/versions', token: read },
      'get /api/docs/{name}/versions 400': { path: '/api/docs/d/there/versions?limit=0', token: read },
      'get /api/docs/{name}/versions 401': { path: '/api/docs/d/there/versions' },
      'get /api/docs/{name}/versions 403': { path: '/api/docs/d/there/versions', token: other },
      'get /api/docs/{name}/versions/{id} 200': { path: '/api/docs/d/there/versions/1', token: read },
      'get /api/docs/{name}/versions/{id} 400': { path: '/api/docs/d/there/versions/x1', token: read },
      'get /api/docs/{name}/versions/{id} 401': { path: '/api/docs/d/there/versions/1' },
      'get /api/docs/{name}/versions/{id} 403': { path: '/api/docs/d/there/versions/1', token: other },
      'get /api/docs/{name}/versions/{id} 404': { path: '/api/docs/d/there/versions/999', token: read },
      'put /api/docs/{name}/versions/{id}/label 200': {
        path: '/api/docs/d/there/versions/1/label',
        token: write,
        body: '{"label":"renamed"}',
        type: 'application/json'
      },
      'put /api/docs/{name}/versions/{id}/label 400': {
        path: '/api/docs/d/there/versions/1/label',
        token: write,
        body: '{"label":5}',
        type: 'application/json'
      },
      'put /api/docs/{name}/versions/{id}/label 401': { path: '/api/docs/d/there/versions/1/label', body: '{"label":"x"}', type: 'application/json' },
      'put /api/docs/{name}/versions/{id}/label 403': {
        path: '/api/docs/d/there/versions/1/label',
        token: read,
        body: '{"label":"x"}',
        type: 'application/json'
      },
      'put /api/docs/{name}/versions/{id}/label 404': {
        path: '/api/docs/d/there/versions/999/label',
        token: write,
        body: '{"label":"x"}',
        type: 'application/json'
      },
      'put /api/docs/{name}/versions/{id}/label 409': {
        path: '/api/docs/d/quiet/versions/live/label',
        token: write,
        body: '{"label":"x"}',
        type: 'application/json'
      },
      'post /api/docs/{name}/versions/{id}/restore 200': { path: '/api/docs/d/there/versions/1/restore', token: write },
      'post /api/docs/{name}/versions/{id}/restore 400': { path: '/api/docs/d/there/versions/0/restore', token: write },
      'post /api/docs/{name}/versions/{id}/restore 401': { path: '/api/docs/d/there/versions/1/restore' },
      'post /api/docs/{name}/versions/{id}/restore 403': { path: '/api/docs/d/there/versions/1/restore', token: read },
      'post /api/docs/{name}/versions/{id}/restore 404': { path: '/api/docs/d/there/versions/999/restore', token: write },
      'post /api/docs/{name}/versions/{id}/restore 409': { path: '/api/docs/d/quiet/versions/1/restore', token: write },
      'get /api/docs/{name}/diff 200': { path: '/api/docs/d/there/diff?from=1&to=live', token: read },
      'get /api/docs/{name}/diff 400': { path: '/api/docs/d/there/diff?to=-1', token: read },
      'get /api/docs/{name}/diff 401': { path: '/api/docs/d/there/diff?to=live' },
      'get /api/docs/{name}/diff 403': { path: '/api/docs/d/there/diff?to=live', token: other },
      'get /api/docs/{name}/diff 404': { path: '/api/docs/d/there/diff?from=999&to=live', token: read },
      'get /api/docs/{name}/authorship 200': { path: '/api/docs/d/there/authorship?version=1', token: read },
      'get /api/docs/{name}/authorship 400': { path: '/api/docs/d/there/authorship?version=one', token: read },
      'get /api/docs/{name}/authorship 401': { path: '/api/docs/d/there/authorship' },
      'get /api/docs/{name}/authorship 403': { path: '/api/docs/d/there/authorship', token: other },
      'get /api/docs/{name}/authorship 404': { path: '/api/docs/d/there/authorship?version=999', token: read },
      'get /api/docs/{name}/history 200': { path: '/api/docs/d/quiet/history', token: read },
      'get /api/docs/{name}/history 400': { path: '/api/docs/d/bad%20name/history', token: read },
      'get /api/docs/{name}/history 401': { path: '/api/docs/d/quiet/history' },
      'get /api/docs/{name}/history 403': { path: '/api/docs/d/quiet/history', token: other },
      'put /api/docs/{name}/history 200': { path: '/api/docs/d/quiet/history', token: write, body: '{"enabled":false}', type: 'application/json' },
      'put /api/docs/{name}/history 400': { path: '/api/docs/d/quiet/history', token: write, body: '{"enabled":"no"}', type: 'application/json' },
      'put /api/docs/{name}/history 401': { path: '/api/docs/d/quiet/history', body: '{"enabled":false}', type: 'application/json' },
      'put /api/docs/{name}/history 403': { path: '/api/docs/d/quiet/history', token: read, body: '{"enabled":false}', type: 'application/json' },
      'get /api/facts/{name} 200': { path: '/api/facts/d/there', token: read },
      'get /api/facts/{name} 400': { path: '/api/facts/d/bad%20name', token: read },
      'get /api/facts/{name} 401': { path: '/api/facts/d/there' },
      'get /api/facts/{name} 403': { path: '/api/facts/d/there', token: other },
      'get /api/facts/{name} 404': { path: '/api/facts/d/nothing', token: read },
      'get /api/admin/docs 200': { path: '/api/admin/docs?prefix=d/&limit=2', token: ADMIN },
      'get /api/admin/docs 400': { path: '/api/admin/docs?limit=abc', token: ADMIN },
      'get /api/admin/docs 401': { path: '/api/admin/docs' },
      'get /api/admin/docs 403': { path: '/api/admin/docs', token: read },
      'delete /api/admin/docs/{name} 200': { path: '/api/admin/docs/d/to-delete', token: admin },
      'delete /api/admin/docs/{name} 400': { path: '/api/admin/docs/d/bad%20name', token: admin },
      'delete /api/admin/docs/{name} 401': { path: '/api/admin/docs/d/there' },
      'delete /api/admin/docs/{name} 403': { path: '/api/admin/docs/d/there', token: write },
      'delete /api/admin/docs/{name} 404': { path: '/api/admin/docs/d/nothing', token: ADMIN },
      'get /api/admin/server 200': { path: '/api/admin/server', token: ADMIN },
      'get /api/admin/server 401': { path: '/api/admin/server' },
      'get /api/admin/server 403': { path: '/api/admin/server', token: read },
      'get /api/openapi.json 200': { path: '/api/openapi.json' },
      'get /api/access/{name} 200': { path: '/api/access/d/there', token: read },
      'get /api/access/{name} 400': { path: '/api/access/d/bad%20name', token: read },
      'get /api/access/{name} 401': { path: '/api/access/d/there' },
      'get /api/access/{name} 403': { path: '/api/access/d/there', token: other }
    }
    const statuses: string[] = []
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (OPERATIONS.includes(method)) for (const status of Object.keys(operation.responses)) statuses.push(`${method} ${path} ${status}`)
      }
    }
    expect(Object.keys(examples).sort(), 'one example per described status').toEqual(statuses.sort())
    for (const key of statuses) {
      const [method, path, status] = key.split(' ') as [string, string, string]
      const example = examples[key]!
      const headers: Record<string, string> = { ...example.headers }
      // /api/access reads its token from the query only; the API takes either.
      const token = example.token && (path.startsWith('/api/access/') ? `?token=${example.token}` : undefined)
      if (example.token && !token) headers.Authorization = `Bearer ${example.token}`
      if (example.type) headers['Content-Type'] = example.type
      const response = await fetch(base + example.path + (token ?? ''), { method: method.toUpperCase(), headers, body: example.body })
      const body = await response.text()
      expect(response.status, `${key}: ${body}`).toBe(Number(status))
      const content = spec.paths[path]![method]!.responses[status]!.content
      if (!content) continue
      const type = (response.headers.get('content-type') ?? '').split(';')[0]!
      expect(Object.keys(content), `${key}: content type ${type}`).toContain(type)
      if (type === 'application/json') expect(misfits(JSON.parse(body), content[type]!.schema, spec), key).toEqual([])
    }
  })
})
