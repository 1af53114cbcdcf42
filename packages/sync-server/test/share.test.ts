/**
 * Sharing without the operator: `POST /api/share/<doc>` makes an access link from the caller's
 * own token, never granting more (SH1), checked like a connection (SH2); `GET /api/server`
 * says how the server is run (SH3); and an address that leads nowhere gets a page (HTTP 404).
 * All against real server processes.
 */
import { rmSync } from 'node:fs'
import { runCli, type ServerProcess, startServer } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const SECRET = 'share-test-secret-0123456789'
const PAGE = 'http://127.0.0.1:9'

async function token(grant: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCli(['token', '--secret', SECRET, ...grant])
  if (code !== 0) throw new Error(`quire token failed: ${stderr}`)
  return stdout.trim()
}

const claims = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString())

async function share(server: ServerProcess, doc: string, query: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.httpUrl}/api/share/${doc}?${query}`, { method: 'POST', ...init })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function access(server: ServerProcess, doc: string, jwt: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.httpUrl}/api/access/${doc}?token=${encodeURIComponent(jwt)}`)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('sharing on a server with tokens', () => {
  let server: ServerProcess

  beforeAll(async () => {
    server = await startServer({
      args: ['--auth-secret', SECRET, '--max-auth-failures', '3', '--allowed-origins', PAGE, '--max-message-bytes', '65536']
    })
  })
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
    rmSync(server.dataDir, { recursive: true, force: true })
  })

  it('SH3: says it needs tokens, and its message limit', async () => {
    const response = await fetch(`${server.httpUrl}/api/server`, { headers: { origin: PAGE } })
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe(PAGE)
    expect(await response.json()).toEqual({ access: 'tokens', maxMessageBytes: 65536 })
  })

  it('SH1: a write token makes a view link and an edit link for its document, with the token in Authorization or ?token=', async () => {
    const mine = await token(['--doc', 'team/notes', '--access', 'write', '--expires', '2h', '--user', 'Ada'])
    const view = await share(server, 'team/notes', 'access=read', { headers: { authorization: `Bearer ${mine}` } })
    expect(view.status).toBe(200)
    expect(view.body).toMatchObject({ document: 'team/notes', access: 'read' })
    expect(await access(server, 'team/notes', view.body.token as string)).toEqual({ status: 200, body: { document: 'team/notes', access: 'read' } })
    const edit = await share(server, 'team/notes', `access=write&token=${encodeURIComponent(mine)}`)
    expect(edit.status).toBe(200)
    expect(await access(server, 'team/notes', edit.body.token as string)).toEqual({ status: 200, body: { document: 'team/notes', access: 'write' } })
    // Never longer than the maker's own, and never in the maker's name.
    for (const made of [view, edit]) {
      const granted = claims(made.body.token as string)
      expect(granted.exp).toBeLessThanOrEqual(claims(mine).exp as number)
      expect(granted.exp).toBe(made.body.expiresAt)
      expect(granted.user).toBeUndefined()
      expect(granted.doc).toBe('team/notes')
    }
  })

  it('SH1: never more than the maker holds: one document of a folder, reading from reading, a shorter life on request', async () => {
    const folder = await token(['--doc', 'team/*', '--access', 'write'])
    const one = await share(server, 'team/a', 'access=write', { headers: { authorization: `Bearer ${folder}` } })
    expect(one.status).toBe(200)
    expect(claims(one.body.token as string).doc).toBe('team/a')
    expect((await access(server, 'team/b', one.body.token as string)).status).toBe(403)

    const reader = await token(['--doc', 'team/a', '--access', 'read'])
    const upgrade = await share(server, 'team/a', 'access=write', { headers: { authorization: `Bearer ${reader}` } })
    expect(upgrade.status).toBe(403)
    expect(upgrade.body.error).toMatch(/reading only/)
    expect((await share(server, 'team/a', 'access=read', { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200)

    const short = await share(server, 'team/a', 'access=read&expiresIn=60', { headers: { authorization: `Bearer ${folder}` } })
    const lifetime = (short.body.expiresAt as number) - Math.floor(Date.now() / 1000)
    expect(lifetime).toBeGreaterThan(50)
    expect(lifetime).toBeLessThanOrEqual(60)
  })

  it('SH2: refuses without a valid token for the document, and bad input, with a reason', async () => {
    const other = await token(['--doc', 'elsewhere', '--access', 'write'])
    expect((await share(server, 'team/x', 'access=read')).status).toBe(401)
    expect((await share(server, 'team/x', 'access=read', { headers: { authorization: `Bearer ${other}` } })).status).toBe(403)
    const bad = await share(server, 'team/x', 'access=admin', { headers: { authorization: `Bearer ${other}` } })
    expect(bad).toEqual({ status: 400, body: { error: 'access must be "read" or "write"' } })
    expect((await share(server, 'team/x', 'access=read&expiresIn=-5', { headers: { authorization: `Bearer ${other}` } })).status).toBe(400)
    const get = await fetch(`${server.httpUrl}/api/share/team/x?access=read`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST, OPTIONS')
    // A page on a listed origin may send the Authorization header.
    const preflight = await fetch(`${server.httpUrl}/api/share/team/x`, { method: 'OPTIONS', headers: { origin: PAGE } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Authorization')
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS')
  })

  it('SH2: forged tokens count as guesses: the address is blocked (429), as for connections', async () => {
    const forged = `${(await token(['--doc', 'team/x', '--access', 'write'])).slice(0, -4)}AAAA`
    const statuses: number[] = []
    for (let attempt = 0; attempt < 5; attempt++) {
      statuses.push((await share(server, 'team/x', 'access=read', { headers: { authorization: `Bearer ${forged}${attempt}` } })).status)
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401])
    expect(statuses.at(-1)).toBe(429)
  })
})

describe('sharing on an open server', () => {
  let server: ServerProcess

  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
    rmSync(server.dataDir, { recursive: true, force: true })
  })

  it('SH3: says it is open; an unlisted origin gets no CORS header', async () => {
    const response = await fetch(`${server.httpUrl}/api/server`, { headers: { origin: PAGE } })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    expect(await response.json()).toEqual({ access: 'open', maxMessageBytes: 16 * 1024 * 1024 })
  })

  it('SH1: makes no links, and says what sharing means there', async () => {
    const answer = await share(server, 'notes', 'access=read')
    expect(answer.status).toBe(404)
    expect(answer.body.error).toMatch(/open.*anyone read and edit/)
  })

  it('an address that leads nowhere gets a page for people and a line for programs', async () => {
    const page = await fetch(`${server.httpUrl}/no/such/page`, { headers: { accept: 'text/html,application/xhtml+xml' } })
    expect(page.status).toBe(404)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await page.text()
    expect(html).toContain('<h1>Page not found</h1>')
    expect(html).toContain('<a href="/">')
    const line = await fetch(`${server.httpUrl}/no/such/page`)
    expect(line.status).toBe(404)
    expect(await line.text()).toBe('not found\n')
  })
})
