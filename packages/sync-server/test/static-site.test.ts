/**
 * The web app as the real server serves it: links never lead out of --web-dir (and a dangling
 * one is a 404, not a dead process), every answer carries the security headers, and caching
 * matches how the app is built (hashed assets kept for good, index.html and sw.js revalidated).
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { basename, join } from 'node:path'
import { type ServerProcess, startServer, tempDataDir } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const INDEX = '<!doctype html><title>Quire static test</title>\n'
const SECRET_TEXT = 'outside the web folder\n'

/** A GET with the path sent exactly as given. */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('links in --web-dir', () => {
  let server: ServerProcess
  let webDir: string
  let outside: string

  beforeAll(async () => {
    webDir = tempDataDir()
    outside = tempDataDir()
    writeFileSync(join(outside, 'secret.txt'), SECRET_TEXT)
    writeFileSync(join(webDir, 'index.html'), INDEX)
    writeFileSync(join(webDir, 'real.txt'), 'inside\n')
    writeFileSync(join(webDir, '.env'), SECRET_TEXT)
    symlinkSync(join(outside, 'secret.txt'), join(webDir, 'host.txt'))
    symlinkSync(outside, join(webDir, 'outdir'))
    symlinkSync(join(webDir, 'no-such-file'), join(webDir, 'dangling.txt'))
    symlinkSync(join(webDir, 'real.txt'), join(webDir, 'alias.txt'))
    server = await startServer({ args: ['--web-dir', webDir] })
  })
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
    for (const dir of [server.dataDir, webDir, outside]) rmSync(dir, { recursive: true, force: true })
  })

  it('a dangling link does not take the server down', async () => {
    expect((await rawGet(server.port, '/dangling.txt')).status).toBe(404)
    expect((await rawGet(server.port, '/healthz')).status).toBe(200)
    expect((await rawGet(server.port, '/')).body).toBe(INDEX)
    expect(server.proc.exitCode).toBeNull()
    expect(server.stderr()).not.toMatch(/unhandled|Error/i)
  })

  it('links out of the folder are not followed, nor are dotfiles served; links inside it are', async () => {
    for (const path of [
      '/.env',
      '/%2eenv',
      '/host.txt',
      '/outdir/secret.txt',
      `/%2e%2e/${basename(outside)}/secret.txt`,
      `/..%2f${basename(outside)}%2fsecret.txt`
    ]) {
      const res = await rawGet(server.port, path)
      expect(res.status, path).toBeGreaterThanOrEqual(400)
      expect(res.body, path).not.toContain(SECRET_TEXT.trim())
    }
    const alias = await rawGet(server.port, '/alias.txt')
    expect(alias.status).toBe(200)
    expect(alias.body).toBe('inside\n')
    expect(server.proc.exitCode).toBeNull()
  })
})

describe('headers of the web app', () => {
  let server: ServerProcess
  let webDir: string

  beforeAll(async () => {
    webDir = tempDataDir()
    writeFileSync(join(webDir, 'index.html'), INDEX)
    writeFileSync(join(webDir, 'sw.js'), 'self.addEventListener("fetch", () => {})\n')
    mkdirSync(join(webDir, 'assets'))
    writeFileSync(join(webDir, 'assets', 'main-DLt85Xe0.js'), 'console.log("app")\n')
    writeFileSync(join(webDir, 'assets', 'main-CRChEYsr.css'), 'body{}\n')
    writeFileSync(join(webDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    server = await startServer({ args: ['--web-dir', webDir] })
  })
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
    rmSync(server.dataDir, { recursive: true, force: true })
    rmSync(webDir, { recursive: true, force: true })
  })

  it('every answer has nosniff, a Referrer-Policy and a CSP that forbids framing', async () => {
    for (const path of ['/', '/d/notes', '/index.html', '/sw.js', '/assets/main-DLt85Xe0.js', '/favicon.svg', '/missing', '/healthz', '/api/access/notes']) {
      const { headers } = await rawGet(server.port, path)
      expect(headers['x-content-type-options'], path).toBe('nosniff')
      expect(headers['referrer-policy'], path).toBe('no-referrer')
      const csp = String(headers['content-security-policy'])
      expect(csp, path).toMatch(/frame-ancestors 'none'/)
      expect(csp, path).toMatch(/script-src 'self'(;|$)/)
      expect(csp, path).toMatch(/connect-src 'self' ws: wss:/)
    }
  })

  it('index.html (app routes too) and sw.js are revalidated; hashed assets are immutable', async () => {
    for (const path of ['/', '/d/notes', '/index.html', '/sw.js', '/favicon.svg']) {
      expect((await rawGet(server.port, path)).headers['cache-control'], path).toBe('no-cache')
    }
    for (const path of ['/assets/main-DLt85Xe0.js', '/assets/main-CRChEYsr.css']) {
      const res = await rawGet(server.port, path)
      expect(res.status, path).toBe(200)
      expect(res.headers['cache-control'], path).toBe('public, max-age=31536000, immutable')
    }
  })

  it('types are right, and a matching ETag is answered 304', async () => {
    expect((await rawGet(server.port, '/sw.js')).headers['content-type']).toMatch(/^text\/javascript/)
    expect((await rawGet(server.port, '/assets/main-CRChEYsr.css')).headers['content-type']).toMatch(/^text\/css/)
    expect((await rawGet(server.port, '/favicon.svg')).headers['content-type']).toBe('image/svg+xml')
    const first = await rawGet(server.port, '/index.html')
    expect(first.headers['content-type']).toMatch(/^text\/html/)
    const again = await rawGet(server.port, '/index.html', { 'If-None-Match': String(first.headers.etag) })
    expect(again.status).toBe(304)
    expect(again.body).toBe('')
  })
})
