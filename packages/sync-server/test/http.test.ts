/**
 * HTTP on the server's port: health, readiness, metrics, methods, the access check, document
 * names refused with 400 before any WebSocket exists (PROTOCOL.md N5), and the built web app.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { connect, readMetric, type ServerProcess, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'

/** Ask for a WebSocket upgrade with the path sent exactly as given; resolves with the HTTP status (101 if upgraded). */
function rawUpgrade(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64')
      }
    })
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve({ status: res.statusCode ?? 0, body: '' })
    })
    req.on('response', (res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** A plain HTTP request with the path sent exactly as given. */
function rawGet(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Open a `ws` WebSocket; resolves with the HTTP status of a refused upgrade, or 101 once open. */
function wsStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('open', () => {
      resolve(101)
      ws.close()
    })
    ws.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error)
    })
  })
}

const BAD_NAMES = [
  '/a//b',
  '/a/',
  '/..',
  '/%2e%2e',
  '/a%2Fb',
  `/${'a'.repeat(257)}`,
  '/a:b',
  '/a%3Ab',
  '/%zz',
  '/a b'.replace(' ', '%20'),
  '/é'.replace('é', '%C3%A9')
]

describe('HTTP endpoints without a web app', () => {
  let server: ServerProcess

  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
    rmSync(server.dataDir, { recursive: true, force: true })
  })

  it('OP2: GET /healthz is 200', async () => {
    const res = await fetch(`${server.httpUrl}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('ok\n')
  })

  it('OP2: GET /readyz is 200 once listening', async () => {
    const res = await fetch(`${server.httpUrl}/readyz`)
    expect(res.status).toBe(200)
  })

  it('GET /metrics has quire_documents_loaded, and it counts a loaded document', async () => {
    const res = await fetch(`${server.httpUrl}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/plain/)
    const body = await res.text()
    expect(body).toMatch(/^quire_documents_loaded \d+$/m)
    expect(await readMetric(server.httpUrl, 'quire_documents_loaded')).toBe(0)
    const client = connect(server.wsUrl, 'metrics-doc')
    await client.synced()
    await waitFor(async () => (await readMetric(server.httpUrl, 'quire_documents_loaded')) === 1, 'the loaded-documents gauge to count 1')
    client.destroy()
  })

  it('POST (and other methods) get 405 with an Allow header', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${server.httpUrl}/healthz`, { method })
      expect(res.status, method).toBe(405)
      expect(res.headers.get('allow')).toBe('GET, HEAD')
    }
  })

  it('an unknown path is 404 when there is no web app, and so is /', async () => {
    expect((await fetch(`${server.httpUrl}/nothing-here`)).status).toBe(404)
    expect((await fetch(`${server.httpUrl}/`)).status).toBe(404)
    expect((await fetch(`${server.httpUrl}/d/some-doc`)).status).toBe(404)
  })

  it('N5: a good document name is upgraded (control for the 400s below)', async () => {
    expect(await wsStatus(`${server.wsUrl}/good-doc`)).toBe(101)
    expect(await wsStatus(`${server.wsUrl}/team/notes.v2`)).toBe(101)
    expect((await rawUpgrade(server.port, '/good-doc?ext=ack')).status).toBe(101)
  })

  it('N5: bad document names get HTTP 400 on the WebSocket upgrade (ws client)', async () => {
    for (const path of BAD_NAMES) {
      expect(await wsStatus(`${server.wsUrl}${path}`), path).toBe(400)
    }
  })

  it('N5: bad document names get HTTP 400 with the reason, when the path is sent byte for byte', async () => {
    // The ws client resolves "/.." itself; a raw request sends the path exactly as typed.
    for (const path of BAD_NAMES) {
      const res = await rawUpgrade(server.port, path)
      expect(res.status, path).toBe(400)
      expect(res.body.length, path).toBeGreaterThan(0)
    }
    expect((await rawUpgrade(server.port, `/${'a'.repeat(257)}`)).body).toMatch(/longer than 256/)
    expect((await rawUpgrade(server.port, '/a%2Fb')).body).toMatch(/encoded/)
    expect((await rawUpgrade(server.port, '/a:b')).body).toMatch(/may only contain/)
    expect((await rawUpgrade(server.port, `/${'a'.repeat(256)}`)).status).toBe(101)
  })

  it('N3/N4/N5: dot segments, backslashes and "//host" paths get 400, not another document\'s socket', async () => {
    // Each of these would reach a different, valid document if the server resolved the path
    // as a URL (/a/../b → "b", //evil/doc → "doc") before checking the name: two spellings.
    for (const path of ['/a/../b', '/a/%2e%2e/b', '/a/./b', '/a/%2E/b', '//evil/doc', '/a\\b', '/x/..']) {
      expect((await rawUpgrade(server.port, path)).status, path).toBe(400)
    }
  })

  it('N5: refused upgrades are counted by reason in /metrics', async () => {
    const body = await (await fetch(`${server.httpUrl}/metrics`)).text()
    const line = body.split('\n').find((l) => l.startsWith('quire_rejected_connections_total{reason="bad_document_name"}'))
    expect(line).toBeDefined()
    expect(Number(line!.split(' ').pop())).toBeGreaterThanOrEqual(BAD_NAMES.length)
  })

  it('GET /api/access/<name> is 200 JSON for good names', async () => {
    for (const name of ['good-doc', 'team/notes.v2', 'a'.repeat(256)]) {
      const res = await fetch(`${server.httpUrl}/api/access/${name}`)
      expect(res.status, name).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/application\/json/)
      expect(await res.json()).toEqual({ document: name, access: 'write' })
    }
    expect(await (await fetch(`${server.httpUrl}/api/access/%61bc`)).json()).toEqual({ document: 'abc', access: 'write' })
  })

  it('GET /api/access/<name> is 400 JSON with the reason for bad names', async () => {
    // (Dot segments are in the next test: they show a separate fault.)
    for (const path of BAD_NAMES.filter((p) => p !== '/..' && p !== '/%2e%2e')) {
      const res = await rawGet(server.port, `/api/access${path}`)
      expect(res.status, path).toBe(400)
      expect(res.headers['content-type']).toMatch(/application\/json/)
      expect(typeof (JSON.parse(res.body) as { error: unknown }).error).toBe('string')
    }
  })

  it('N3/N4: /api/access/ with dot segments is 400, not the access of another document', async () => {
    for (const path of ['/api/access/..', '/api/access/%2e%2e', '/api/access/a/../b', '/api/access/a/./b', '/api/access//evil/doc']) {
      expect((await rawGet(server.port, path)).status, path).toBe(400)
    }
  })
})

describe('start-up', () => {
  it('a fresh server has counted nothing (its start-up rehearsal leaves no trace), then counts real traffic', async () => {
    const own = await startServer()
    expect(await readMetric(own.httpUrl, 'quire_updates_persisted_total')).toBe(0)
    expect(await readMetric(own.httpUrl, 'quire_messages_in_total')).toBeUndefined()
    expect(await readMetric(own.httpUrl, 'quire_documents_loaded')).toBe(0)
    const client = connect(own.wsUrl, 'first-visit')
    await client.synced()
    client.text.insert(0, 'counted')
    await waitFor(async () => (await readMetric(own.httpUrl, 'quire_updates_persisted_total')) === 1, 'the update to be counted')
    expect(await readMetric(own.httpUrl, 'quire_messages_in_total')).toBeGreaterThan(0)
    client.destroy()
    expect(await own.kill('SIGTERM')).toBe(0)
    rmSync(own.dataDir, { recursive: true, force: true })
  })
})

describe('HTTP with a web app (--web-dir)', () => {
  let server: ServerProcess
  let webDir: string
  const INDEX = '<!doctype html><title>Quire test app</title><div id="app"></div>\n'

  beforeAll(async () => {
    webDir = tempDataDir()
    writeFileSync(join(webDir, 'index.html'), INDEX)
    mkdirSync(join(webDir, 'assets'))
    writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log("app")\n')
    server = await startServer({ args: ['--web-dir', webDir] })
  })
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
    rmSync(server.dataDir, { recursive: true, force: true })
    rmSync(webDir, { recursive: true, force: true })
  })

  it('GET / returns index.html', async () => {
    const res = await fetch(`${server.httpUrl}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/html/)
    expect(await res.text()).toBe(INDEX)
  })

  it('GET /d/some-doc (an app route) returns index.html', async () => {
    for (const path of ['/d/some-doc', '/d/team/notes.v2']) {
      const res = await fetch(`${server.httpUrl}${path}`)
      expect(res.status, path).toBe(200)
      expect(await res.text()).toBe(INDEX)
    }
  })

  it('an existing asset is served; a missing /assets/x.js is 404, not index.html', async () => {
    const asset = await fetch(`${server.httpUrl}/assets/app.js`)
    expect(asset.status).toBe(200)
    expect(await asset.text()).toBe('console.log("app")\n')
    const missing = await fetch(`${server.httpUrl}/assets/x.js`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).not.toContain('Quire test app')
    expect((await fetch(`${server.httpUrl}/not-an-app-route`)).status).toBe(404)
  })

  it('health, metrics and WebSockets still work beside the web app', async () => {
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200)
    expect(await readMetric(server.httpUrl, 'quire_documents_loaded')).toBeDefined()
    expect(await wsStatus(`${server.wsUrl}/some-doc`)).toBe(101)
    expect(await wsStatus(`${server.wsUrl}/a//b`)).toBe(400)
  })
})
