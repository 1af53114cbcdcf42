import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { connect, readMetric, runCli, type ServerProcess } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { admissionScratch, type UpgradeResult } from './helpers/upgrade.js'

const { scratch, start, upgrade } = admissionScratch()

const upgradeWith = (url: string, headers: Record<string, string>): Promise<UpgradeResult> => upgrade(url, { headers })

/** An HTTP request with `headers`; resolves with the status, the headers and the body. */
function request(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {}
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('open mode at the defaults (no --allowed-origins)', () => {
  let server: ServerProcess

  beforeAll(async () => {
    server = await start([])
  })
  afterAll(async () => {
    if (server) expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('a page on another origin cannot open a document (403 before the upgrade), while non-browser clients can', async () => {
    const owner = connect(server.wsUrl, 'private-notes')
    owner.text.insert(0, 'private notes')
    await owner.synced()
    const evil = await upgradeWith(`${server.wsUrl}/private-notes`, { Origin: 'https://evil.example' })
    expect(evil.status).toBe(403)
    expect(evil.body).toMatch(/https:\/\/evil\.example/)
    expect(evil.body).toMatch(/--allowed-origins/)
    expect(evil.body).not.toContain('private notes')
    expect(await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="origin_not_allowed"}')).toBe(1)
    // A stock client in Node sends no Origin, as before.
    expect((await upgradeWith(`${server.wsUrl}/private-notes`, {})).status).toBe(101)
    owner.destroy()
  })

  it("the server's own pages may connect: the Origin names the host the request was sent to", async () => {
    const own = `http://127.0.0.1:${server.port}`
    expect((await upgradeWith(`${server.wsUrl}/own`, { Origin: own })).status).toBe(101)
    // The web app's dev server (Vite) proxies /sync with the page's Origin and Host.
    expect((await upgradeWith(`${server.wsUrl}/own`, { Origin: 'http://localhost:5173', Host: 'localhost:5173' })).status).toBe(101)
    // DNS rebinding: a page on a name the attacker re-points at 127.0.0.1 sends its own name as
    // both Origin and Host. An open server trusts only hosts no one can re-point.
    const rebound = `rebound.example:${server.port}`
    expect((await upgradeWith(`${server.wsUrl}/own`, { Origin: `http://${rebound}`, Host: rebound })).status).toBe(403)
    // Another port, another host name, another scheme or an opaque origin is another origin.
    for (const origin of [`http://127.0.0.1:${server.port + 1}`, `http://localhost:${server.port}`, 'null', `chrome-extension://abc`, 'file://']) {
      expect((await upgradeWith(`${server.wsUrl}/own`, { Origin: origin })).status, origin).toBe(403)
    }
  })

  it('GET /api/access/<doc> sends no CORS headers to another origin, and varies by Origin', async () => {
    const answer = await request(server.port, 'GET', '/api/access/notes', { Origin: 'https://evil.example' })
    expect(answer.status).toBe(200)
    expect(answer.headers['access-control-allow-origin']).toBeUndefined()
    expect(answer.headers.vary).toMatch(/Origin/)
    const preflight = await request(server.port, 'OPTIONS', '/api/access/notes', {
      Origin: 'https://evil.example',
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'authorization'
    })
    expect(preflight.status).toBe(403)
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('--allowed-origins https://app.example.com,http://localhost:5173', () => {
  let server: ServerProcess
  const SECRET = 'origins-test-secret-0123456789ab'

  beforeAll(async () => {
    server = await start(['--allowed-origins', 'https://app.example.com, http://localhost:5173/', '--auth-secret', SECRET])
  })
  afterAll(async () => {
    if (server) expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('listed origins may connect; others get 403 even with a valid token', async () => {
    const { signToken } = await import('../src/auth/token.js')
    const token = await signToken(SECRET, { doc: 'embedded', access: 'write', expiresInSeconds: 3600 })
    const url = `${server.wsUrl}/embedded?token=${token}`
    expect((await upgradeWith(url, { Origin: 'https://app.example.com' })).status).toBe(101)
    expect((await upgradeWith(url, { Origin: 'http://localhost:5173' })).status).toBe(101)
    expect((await upgradeWith(url, { Origin: 'https://app.example.com.evil.example' })).status).toBe(403)
    expect((await upgradeWith(url, { Origin: 'http://app.example.com' })).status).toBe(403)
    // With tokens, the page's own host may be a name: behind a TLS proxy that passes Host
    // through, the page is https and the request arrives as ws.
    expect((await upgradeWith(url, { Origin: 'https://notes.example.com', Host: 'notes.example.com' })).status).toBe(101)
    expect((await upgradeWith(url, { Origin: 'https://notes.example.com', Host: '127.0.0.1' })).status).toBe(403)
    // The origin is judged before the token: a refused page learns nothing about it.
    expect((await upgradeWith(`${server.wsUrl}/embedded?token=junk`, { Origin: 'https://evil.example' })).status).toBe(403)
  })

  it('GET /api/access/<doc> gives a listed origin CORS headers and answers its preflight (Authorization allowed)', async () => {
    const answer = await request(server.port, 'GET', '/api/access/embedded', { Origin: 'https://app.example.com' })
    expect(answer.status).toBe(401)
    expect(JSON.parse(answer.body).error).toMatch(/token/)
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect(answer.headers.vary).toMatch(/Origin/)

    const preflight = await request(server.port, 'OPTIONS', '/api/access/embedded', {
      Origin: 'https://app.example.com',
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'authorization'
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect(preflight.headers['access-control-allow-methods']).toMatch(/GET/)
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/i)
    expect(preflight.headers.vary).toMatch(/Origin/)

    const unlisted = await request(server.port, 'GET', '/api/access/embedded', { Origin: 'https://evil.example' })
    expect(unlisted.headers['access-control-allow-origin']).toBeUndefined()
    // Other methods are still refused, with the methods the route knows.
    const post = await request(server.port, 'POST', '/api/access/embedded', { Origin: 'https://app.example.com' })
    expect(post.status).toBe(405)
    expect(post.headers.allow).toMatch(/OPTIONS/)
  })
})

describe('--allowed-origins *', () => {
  it('any page may connect and read /api/access', async () => {
    const server = await start(['--allowed-origins', '*'])
    try {
      expect((await upgradeWith(`${server.wsUrl}/anyone`, { Origin: 'https://evil.example' })).status).toBe(101)
      const answer = await request(server.port, 'GET', '/api/access/anyone', { Origin: 'https://evil.example' })
      expect(answer.headers['access-control-allow-origin']).toBe('https://evil.example')
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0)
    }
  })
})

describe('bad values', () => {
  it('an origin with a path, another scheme or no scheme exits 2 naming the flag or variable', async () => {
    for (const value of ['https://app.example.com/editor', 'ftp://files.example.com', 'app.example.com']) {
      const run = await runCli(['serve', '--port', '0', '--data', scratch(), '--allowed-origins', value])
      expect(run.code, value).toBe(2)
      expect(run.stderr).toContain('--allowed-origins')
    }
    const env = await runCli(['serve', '--port', '0', '--data', scratch()], { ALLOWED_ORIGINS: 'https://ok.example,https://bad.example/x' })
    expect(env.code).toBe(2)
    expect(env.stderr).toContain('ALLOWED_ORIGINS')
    expect(env.stderr).toContain('https://bad.example/x')
  })
})
