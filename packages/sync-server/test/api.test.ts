/**
 * The HTTP API against the real server process (AP1–AP8): documents read, replaced and updated
 * over HTTP and seen live by stock y-websocket clients; stored facts; administration only with an
 * admin credential; and every kind of bad input answered with its 4xx and a JSON error while
 * nothing stored changes.
 */
import { connect, runCli, type ServerProcess, startServer, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { signAdminToken, signToken } from '../src/auth/token.js'
import { sameSpotInserts } from './helpers/bad-payloads.js'

const SECRET = 'api-test-secret-0123456789abcdef'
const ADMIN = 'api-test-admin-token-0123456789'
const MAX_DOC = 8192

interface Answer {
  status: number
  headers: Headers
  body: Uint8Array
  text: string
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of many shapes; the assertions check them
  json: any
}

/** One HTTP request; `token` goes in the Authorization header unless `query` says to put it in ?token=. */
async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: string | Uint8Array; type?: string; headers?: Record<string, string> } = {}
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.Authorization = `Bearer ${options.token}`
  if (options.type) headers['Content-Type'] = options.type
  const response = await fetch(base + path, { method, headers, body: options.body })
  const body = new Uint8Array(await response.arrayBuffer())
  const text = new TextDecoder().decode(body)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {}
  return { status: response.status, headers: response.headers, body, text, json }
}

const tokenFor = (doc: string, access: 'read' | 'write', user?: string) => signToken(SECRET, { doc, access, expiresInSeconds: 600, user })

describe('HTTP API', () => {
  let secured: ServerProcess
  let open: ServerProcess
  let write: string
  let read: string
  let admin: string

  beforeAll(async () => {
    ;[secured, open] = await Promise.all([
      startServer({ args: ['--auth-secret', SECRET, '--admin-token', ADMIN, '--max-document-bytes', String(MAX_DOC)] }),
      startServer()
    ])
    ;[write, read, admin] = await Promise.all([
      tokenFor('docs/*', 'write', 'Ada'),
      tokenFor('docs/*', 'read'),
      signAdminToken(SECRET, { expiresInSeconds: 600, user: 'root' })
    ])
  }, 60_000)

  afterAll(async () => {
    await Promise.all([secured?.kill('SIGTERM'), open?.kill('SIGTERM')])
  })

  it('AP1/AP2: a document is created from text, read as text, Markdown and a Yjs update, with an ETag and 304', async () => {
    const base = secured.httpUrl
    const created = await call(base, 'PUT', '/api/docs/docs/readme', { token: write, body: '# Title\n\nhello', type: 'text/markdown; charset=utf-8' })
    expect(created.status).toBe(201)
    expect(created.json).toEqual({ document: 'docs/readme', changed: true, created: true })
    const again = await call(base, 'PUT', '/api/docs/docs/readme', { token: write, body: '# Title\n\nhello', type: 'text/plain' })
    expect(again.status).toBe(200)
    expect(again.json.changed).toBe(false)

    const text = await call(base, 'GET', '/api/docs/docs/readme', { token: read })
    expect(text.status).toBe(200)
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(text.text).toBe('# Title\n\nhello')
    const md = await call(base, 'GET', '/api/docs/docs/readme?format=md', { token: read })
    expect(md.headers.get('content-type')).toBe('text/markdown; charset=utf-8')
    expect(md.text).toBe('# Title\n\nhello')
    const byAccept = await call(base, 'GET', '/api/docs/docs/readme', { token: read, headers: { Accept: 'application/json;q=0.9, text/markdown' } })
    expect(byAccept.headers.get('content-type')).toBe('text/markdown; charset=utf-8')
    const yjs = await call(base, 'GET', `/api/docs/docs/readme?token=${read}`, { headers: { Accept: 'application/octet-stream' } })
    expect(yjs.headers.get('content-type')).toBe('application/octet-stream')
    const doc = new Y.Doc()
    Y.applyUpdate(doc, yjs.body)
    expect(doc.getText('codemirror').toString()).toBe('# Title\n\nhello')

    const etag = text.headers.get('etag')!
    expect(etag).toMatch(/^".+\.text"$/)
    expect(md.headers.get('etag')).not.toBe(etag)
    const unchanged = await call(base, 'GET', '/api/docs/docs/readme', { token: read, headers: { 'If-None-Match': etag } })
    expect(unchanged.status).toBe(304)
    expect(unchanged.body.length).toBe(0)
    await call(base, 'PUT', '/api/docs/docs/readme', { token: write, body: '# Title\n\nhello again', type: 'text/plain' })
    const changed = await call(base, 'GET', '/api/docs/docs/readme', { token: read, headers: { 'If-None-Match': etag } })
    expect(changed.status).toBe(200)
    expect(changed.text).toBe('# Title\n\nhello again')
    expect(changed.headers.get('etag')).not.toBe(etag)
  })

  it('AP2/DV1: a replacement reaches connected editors live, keeps unchanged text, and their concurrent edits survive', async () => {
    const base = open.httpUrl
    expect((await call(base, 'PUT', '/api/docs/live', { body: 'one two three', type: 'text/plain' })).status).toBe(201)
    const editor = connect(open.wsUrl, 'live')
    const watcher = connect(open.wsUrl, 'live')
    await Promise.all([editor.synced(), watcher.synced()])
    expect(editor.text.toString()).toBe('one two three')
    const inOne = Y.createRelativePositionFromTypeIndex(editor.text, 1)
    // The editor goes offline and types; meanwhile the text is replaced over HTTP.
    editor.provider.disconnect()
    editor.text.insert(editor.text.length, ' four')
    const replaced = await call(base, 'PUT', '/api/docs/live', { body: 'one TWO three', type: 'text/plain' })
    expect(replaced.status).toBe(200)
    await waitFor(() => watcher.text.toString() === 'one TWO three', 'the watcher to see the replacement live')
    editor.provider.connect()
    await waitFor(() => editor.text.toString() === 'one TWO three four' && watcher.text.toString() === 'one TWO three four', 'both edits to merge')
    expect(Y.createAbsolutePositionFromRelativePosition(inOne, editor.doc)?.index).toBe(1)
    expect((await call(base, 'GET', '/api/docs/live')).text).toBe('one TWO three four')
    editor.destroy()
    watcher.destroy()
  })

  it('AP3: a Yjs update is applied (live, stored), and an update already held changes nothing', async () => {
    const base = secured.httpUrl
    const reader = connect(secured.wsUrl, 'docs/update', { params: { token: read } })
    await reader.synced()
    const author = new Y.Doc()
    author.getText('codemirror').insert(0, 'from a Yjs update')
    const update = Y.encodeStateAsUpdate(author)
    const applied = await call(base, 'POST', '/api/docs/docs/update', { token: write, body: update, type: 'application/octet-stream' })
    expect(applied.status).toBe(200)
    expect(applied.json).toEqual({ document: 'docs/update', changed: true })
    await waitFor(() => reader.text.toString() === 'from a Yjs update', 'the reader to see the update')
    const repeated = await call(base, 'POST', '/api/docs/docs/update', { token: write, body: update, type: 'application/octet-stream' })
    expect(repeated.json.changed).toBe(false)
    reader.destroy()
  })

  it('AP3/HI2: an update that would cost too much to integrate is refused with 422 over HTTP as over the WebSocket, and nothing is stored', async () => {
    const base = open.httpUrl
    const octet = 'application/octet-stream'
    expect((await call(base, 'POST', '/api/docs/costly', { body: sameSpotInserts(1, 8000, 1), type: octet })).status).toBe(200)
    const before = await call(base, 'GET', '/api/docs/costly?format=yjs')
    const bomb = await call(base, 'POST', '/api/docs/costly', { body: sameSpotInserts(1, 8000, 5), type: octet })
    expect(bomb.status).toBe(422)
    expect(bomb.json.error).toMatch(/take too long to apply/)
    expect((await call(base, 'GET', '/api/docs/costly?format=yjs')).body).toEqual(before.body)
  })

  it('AP5: stored facts: bytes, last change time, connected clients', async () => {
    const base = secured.httpUrl
    await call(base, 'PUT', '/api/docs/docs/facts', { token: write, body: 'facts', type: 'text/plain' })
    const client = connect(secured.wsUrl, 'docs/facts', { params: { token: read } })
    await client.synced()
    const facts = await call(base, 'GET', '/api/facts/docs/facts', { token: read })
    expect(facts.status).toBe(200)
    expect(facts.json.name).toBe('docs/facts')
    expect(facts.json.bytes).toBeGreaterThan(0)
    expect(facts.json.clients).toBe(1)
    const changedAt = Date.parse(facts.json.changedAt)
    expect(Math.abs(Date.now() - changedAt)).toBeLessThan(60_000)
    client.destroy()
    await waitFor(async () => (await call(base, 'GET', '/api/facts/docs/facts', { token: read })).json.clients === 0, 'the client to leave')
    expect((await call(base, 'GET', '/api/facts/docs/nothing', { token: read })).status).toBe(404)
  })

  it('AP6: administration answers only to an admin credential, and is off on an open server without one', async () => {
    const base = secured.httpUrl
    const viaTokenCli = await runCli(['token', '--admin', '--secret', SECRET, '--expires', '5m'])
    expect(viaTokenCli.code).toBe(0)
    for (const credential of [ADMIN, admin, viaTokenCli.stdout.trim()]) {
      expect((await call(base, 'GET', '/api/admin/server', { token: credential })).status).toBe(200)
    }
    expect((await call(base, 'GET', `/api/admin/server?token=${ADMIN}`)).status).toBe(200)
    const missing = await call(base, 'GET', '/api/admin/server')
    expect(missing.status).toBe(401)
    expect(missing.json.error).toMatch(/admin credential is required/)
    expect((await call(base, 'GET', '/api/admin/server', { token: 'not-the-admin-token-at-all' })).status).toBe(401)
    const documentToken = await call(base, 'GET', '/api/admin/server', { token: write })
    expect(documentToken.status).toBe(403)
    expect(documentToken.json.error).toMatch(/not administration/)
    const openServer = await call(open.httpUrl, 'GET', '/api/admin/docs')
    expect(openServer.status).toBe(403)
    expect(openServer.json.error).toMatch(/administration is off/)
    expect((await call(open.httpUrl, 'DELETE', '/api/admin/docs/live', { token: 'anything-at-all-long-enough' })).status).toBe(403)
    expect((await call(open.httpUrl, 'GET', '/api/docs/live')).status).toBe(200)
    // An admin token, and the --admin-token, read and write every document too.
    expect((await call(base, 'PUT', '/api/docs/elsewhere', { token: admin, body: 'admin wrote', type: 'text/plain' })).status).toBe(201)
    expect((await call(base, 'GET', '/api/docs/elsewhere', { token: ADMIN })).text).toBe('admin wrote')
  })

  it('AP7: documents are listed by prefix a page at a time with sizes and last change', async () => {
    const base = secured.httpUrl
    for (const name of ['list/a', 'list/b', 'list/c', 'list/d', 'list/e']) {
      await call(base, 'PUT', `/api/docs/${name}`, { token: admin, body: `text of ${name}`, type: 'text/plain' })
    }
    const seen: string[] = []
    let after: string | null = null
    let pages = 0
    do {
      const page: Answer = await call(base, 'GET', `/api/admin/docs?prefix=list/&limit=2${after ? `&after=${after}` : ''}`, { token: ADMIN })
      expect(page.status).toBe(200)
      for (const doc of page.json.documents) {
        expect(doc.bytes).toBeGreaterThan(0)
        expect(Date.parse(doc.changedAt)).not.toBeNaN()
        seen.push(doc.name)
      }
      after = page.json.next
      pages++
    } while (after)
    expect(seen).toEqual(['list/a', 'list/b', 'list/c', 'list/d', 'list/e'])
    expect(pages).toBe(3)
    const all = await call(base, 'GET', '/api/admin/docs', { token: ADMIN })
    expect(all.json.documents.map((doc: { name: string }) => doc.name)).toEqual(expect.arrayContaining(['docs/readme', 'elsewhere', 'list/a']))
  })

  it('AP7: deleting a document closes its clients with 4410, removes it, and the name can be used again', async () => {
    const base = secured.httpUrl
    await call(base, 'PUT', '/api/docs/docs/doomed', { token: write, body: 'doomed text', type: 'text/plain' })
    const client = connect(secured.wsUrl, 'docs/doomed', { params: { token: write } })
    await client.synced()
    const closes: number[] = []
    client.provider.on('connection-close', (event) => void closes.push((event as { code?: number } | null)?.code ?? -1))
    const deleted = await call(base, 'DELETE', '/api/admin/docs/docs/doomed', { token: admin })
    expect(deleted.status).toBe(200)
    expect(deleted.json).toEqual({ document: 'docs/doomed', deleted: true })
    await waitFor(() => closes.includes(4410), 'the client to be closed with 4410')
    client.destroy()
    expect((await call(base, 'GET', '/api/docs/docs/doomed', { token: read })).status).toBe(404)
    expect((await call(base, 'GET', '/api/admin/docs?prefix=docs/doomed', { token: ADMIN })).json.documents).toEqual([])
    expect((await call(base, 'DELETE', '/api/admin/docs/docs/doomed', { token: ADMIN })).status).toBe(404)
    expect((await call(base, 'PUT', '/api/docs/docs/doomed', { token: write, body: 'reborn', type: 'text/plain' })).status).toBe(201)
    expect((await call(base, 'GET', '/api/docs/docs/doomed', { token: read })).text).toBe('reborn')
  })

  it('AP8: server facts give version, uptime and settings, secrets only as whether they are set', async () => {
    const facts = await call(secured.httpUrl, 'GET', '/api/admin/server', { token: ADMIN })
    expect(facts.status).toBe(200)
    expect(facts.json.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(facts.json.uptimeSeconds).toBeGreaterThanOrEqual(0)
    expect(facts.json.auth).toBe('token')
    expect(facts.json.settings.maxDocumentBytes).toBe(MAX_DOC)
    expect(facts.json.settings.authSecret).toBe(true)
    expect(facts.json.settings.adminToken).toBe(true)
    expect(facts.json.settings.metricsToken).toBe(false)
    expect(facts.text).not.toContain(SECRET)
    expect(facts.text).not.toContain(ADMIN)
  })

  it('AP4: bad input gets the right 4xx with a JSON error, and nothing stored changes', async () => {
    const base = secured.httpUrl
    await call(base, 'PUT', '/api/docs/docs/guarded', { token: write, body: 'guarded text', type: 'text/plain' })
    const stored = async () => {
      const [state, facts, list] = await Promise.all([
        call(base, 'GET', '/api/docs/docs/guarded?format=yjs', { token: read }),
        call(base, 'GET', '/api/facts/docs/guarded', { token: read }),
        call(base, 'GET', '/api/admin/docs?limit=1000', { token: ADMIN })
      ])
      return {
        state: [...state.body],
        bytes: facts.json.bytes,
        changedAt: facts.json.changedAt,
        names: list.json.documents.map((d: { name: string }) => d.name)
      }
    }
    const before = await stored()
    const other = await tokenFor('other/*', 'write')
    const expired = await signToken(SECRET, { doc: 'docs/*', access: 'write', expiresInSeconds: -10 })
    const garbage = new Uint8Array([0, 1, 2, 255, 255, 255, 255, 7])
    const cases: Array<{ what: string; method: string; path: string; options?: Parameters<typeof call>[3]; status: number; error: RegExp }> = [
      { what: 'bad name', method: 'GET', path: '/api/docs/docs/bad%20name', options: { token: read }, status: 400, error: /may only contain/ },
      {
        what: 'encoded slash',
        method: 'PUT',
        path: '/api/docs/docs%2Fguarded',
        options: { token: write, body: 'x', type: 'text/plain' },
        status: 400,
        error: /encoded/
      },
      { what: 'unknown format', method: 'GET', path: '/api/docs/docs/guarded?format=pdf', options: { token: read }, status: 400, error: /format must be/ },
      {
        what: 'nothing acceptable',
        method: 'GET',
        path: '/api/docs/docs/guarded',
        options: { token: read, headers: { Accept: 'application/json' } },
        status: 406,
        error: /Accept/
      },
      { what: 'no token', method: 'PUT', path: '/api/docs/docs/guarded', options: { body: 'x', type: 'text/plain' }, status: 401, error: /token is required/ },
      {
        what: 'expired token',
        method: 'PUT',
        path: '/api/docs/docs/guarded',
        options: { token: expired, body: 'x', type: 'text/plain' },
        status: 401,
        error: /expired/
      },
      {
        what: 'Basic auth',
        method: 'GET',
        path: '/api/docs/docs/guarded',
        options: { headers: { Authorization: 'Basic dXNlcjpwYXNz' } },
        status: 401,
        error: /Bearer/
      },
      {
        what: 'another document',
        method: 'PUT',
        path: '/api/docs/docs/guarded',
        options: { token: other, body: 'x', type: 'text/plain' },
        status: 403,
        error: /does not grant/
      },
      {
        what: 'read-only token',
        method: 'PUT',
        path: '/api/docs/docs/guarded',
        options: { token: read, body: 'x', type: 'text/plain' },
        status: 403,
        error: /read-only/
      },
      {
        what: 'read-only update',
        method: 'POST',
        path: '/api/docs/docs/guarded',
        options: { token: read, body: garbage, type: 'application/octet-stream' },
        status: 403,
        error: /read-only/
      },
      { what: 'unknown document', method: 'GET', path: '/api/docs/docs/nobody', options: { token: read }, status: 404, error: /nothing stored/ },
      { what: 'unknown api path', method: 'GET', path: '/api/nothing/here', options: { token: read }, status: 404, error: /no API route/ },
      { what: 'wrong method', method: 'DELETE', path: '/api/docs/docs/guarded', options: { token: write }, status: 405, error: /not allowed/ },
      {
        what: 'body too large',
        method: 'PUT',
        path: '/api/docs/docs/guarded',
        options: { token: write, body: 'x'.repeat(MAX_DOC + 1), type: 'text/plain' },
        status: 413,
        error: /larger than 8192 bytes/
      },
      {
        what: 'document would be full',
        method: 'PUT',
        path: '/api/docs/docs/guarded',
        options: { token: write, body: 'y'.repeat(MAX_DOC - 10), type: 'text/plain' },
        status: 413,
        error: /document is full/
      },
      {
        what: 'text as update',
        method: 'POST',
        path: '/api/docs/docs/guarded',
        options: { token: write, body: 'x', type: 'text/plain' },
        status: 415,
        error: /application\/octet-stream/
      },
      {
        what: 'update as text',
        method: 'PUT',
        path: '/api/docs/docs/guarded',
        options: { token: write, body: garbage, type: 'application/octet-stream' },
        status: 415,
        error: /text\/plain/
      },
      {
        what: 'no content type',
        method: 'PUT',
        path: '/api/docs/docs/guarded',
        options: { token: write, body: new TextEncoder().encode('x') },
        status: 415,
        error: /Content-Type/
      },
      {
        what: 'latin-1 text',
        method: 'PUT',
        path: '/api/docs/docs/guarded',
        options: { token: write, body: 'x', type: 'text/plain; charset=iso-8859-1' },
        status: 415,
        error: /UTF-8/
      },
      {
        what: 'invalid UTF-8',
        method: 'PUT',
        path: '/api/docs/docs/guarded',
        options: { token: write, body: new Uint8Array([0x68, 0xc3, 0x28]), type: 'text/plain' },
        status: 400,
        error: /UTF-8/
      },
      {
        what: 'malformed update',
        method: 'POST',
        path: '/api/docs/docs/guarded',
        options: { token: write, body: garbage, type: 'application/octet-stream' },
        status: 422,
        error: /./
      },
      {
        what: 'empty update',
        method: 'POST',
        path: '/api/docs/docs/guarded',
        options: { token: write, body: new Uint8Array(), type: 'application/octet-stream' },
        status: 422,
        error: /empty/
      },
      { what: 'admin: bad prefix', method: 'GET', path: '/api/admin/docs?prefix=a:b', options: { token: ADMIN }, status: 400, error: /prefix/ },
      { what: 'admin: bad limit', method: 'GET', path: '/api/admin/docs?limit=0', options: { token: ADMIN }, status: 400, error: /limit/ },
      { what: 'admin: wrong method', method: 'POST', path: '/api/admin/docs', options: { token: ADMIN }, status: 405, error: /not allowed/ },
      { what: 'admin: bad name', method: 'DELETE', path: '/api/admin/docs/a//b', options: { token: ADMIN }, status: 400, error: /empty path segment/ },
      {
        what: 'admin: delete with a document token',
        method: 'DELETE',
        path: '/api/admin/docs/docs/guarded',
        options: { token: write },
        status: 403,
        error: /not administration/
      }
    ]
    for (const c of cases) {
      const answer = await call(base, c.method, c.path, c.options)
      expect(answer.status, `${c.what}: ${answer.text}`).toBe(c.status)
      expect(answer.headers.get('content-type'), c.what).toBe('application/json; charset=utf-8')
      expect(answer.json?.error, c.what).toMatch(c.error)
      if (c.status === 405) expect(answer.headers.get('allow'), c.what).toMatch(/GET/)
      if (c.status === 401) expect(answer.headers.get('www-authenticate'), c.what).toBe('Bearer')
    }
    expect(await stored()).toEqual(before)
  })

  it('AP4: a body over the limit is refused from Content-Length before it is read, and the token in the header wins over the query', async () => {
    const base = secured.httpUrl
    // A declared length over the limit: refused at once (the body never has to arrive).
    const { request } = await import('node:http')
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/docs/docs/huge`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${write}`, 'Content-Type': 'text/plain', 'Content-Length': String(1024 * 1024 * 1024) }
      })
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.write('only the start of a gigabyte')
    })
    expect(status).toBe(413)
    expect((await call(base, 'GET', '/api/facts/docs/huge', { token: read })).status).toBe(404)
    // Header: a read token; query: a write token. The header wins, so the write is refused.
    const refused = await call(base, 'PUT', `/api/docs/docs/header-wins?token=${write}`, { token: read, body: 'x', type: 'text/plain' })
    expect(refused.status).toBe(403)
  })

  // Last: it blocks this address on the secured server for --auth-block-ms.
  it('AP4/AC1: forged credentials on the API count towards the same failure limit as the WebSocket (429)', async () => {
    const base = secured.httpUrl
    const forged = (i: number) => `${write.slice(0, -4)}${String(i).padStart(4, 'A')}`
    const statuses: number[] = []
    for (let i = 0; i < 25; i++) statuses.push((await call(base, 'GET', '/api/docs/docs/readme', { token: forged(i) })).status)
    // Earlier tests sent one forged admin credential; the limit is 20 a minute.
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true)
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(15)
    expect(statuses.at(-1)).toBe(429)
    const blocked = await call(base, 'GET', '/api/admin/server', { token: ADMIN })
    expect(blocked.status).toBe(429)
    expect(blocked.json.error).toMatch(/too many failed authentications/)
  })
})
