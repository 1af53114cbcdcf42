import { request as httpRequest } from 'node:http'
import { runCli, type ServerProcess, startServer } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signToken } from '../src/auth/token.js'
import { admissionScratch } from './helpers/upgrade.js'

const SECRET = 'proxies-test-secret-0123456789ab'
const OTHER_SECRET = 'not-this-servers-secret-01234567'

const { scratch, upgrade } = admissionScratch()

/** Upgrade from loopback address `from` with X-Forwarded-For `forwarded` (when given). */
async function via(url: string, from: string, forwarded?: string): Promise<number> {
  const result = await upgrade(url, { from, headers: forwarded === undefined ? {} : { 'X-Forwarded-For': forwarded } })
  return result.status
}

function accessStatus(port: number, path: string, forwarded: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { 'X-Forwarded-For': forwarded } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('--trusted-proxies 127.0.0.1,10.0.0.0/8 (--max-auth-failures 2, --max-connections-per-address 2)', () => {
  let server: ServerProcess
  let valid: string
  const forged = (i: number) => signToken(OTHER_SECRET, { doc: 'proxied', access: 'write', expiresInSeconds: 3600, user: `guess ${i}` })
  const url = (token: string, doc = 'proxied') => `${server.wsUrl}/${doc}?token=${token}`

  beforeAll(async () => {
    server = await startServer({
      dataDir: scratch(),
      args: [
        '--auth-secret',
        SECRET,
        '--trusted-proxies',
        '127.0.0.1, 10.0.0.0/8',
        '--max-auth-failures',
        '2',
        '--auth-block-ms',
        '600000',
        '--max-connections-per-address',
        '2'
      ]
    })
    valid = await signToken(SECRET, { doc: '*', access: 'write', expiresInSeconds: 3600 })
  })
  afterAll(async () => {
    if (server) expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('failures through the proxy block the client that made them, not everyone behind the proxy', async () => {
    const proxy = '127.0.0.1'
    expect(await via(url(await forged(1)), proxy, '203.0.113.7')).toBe(401)
    expect(await via(url(await forged(2)), proxy, '203.0.113.7')).toBe(401)
    expect(await via(url(valid), proxy, '203.0.113.7')).toBe(429)
    expect(await accessStatus(server.port, `/api/access/proxied?token=${valid}`, '203.0.113.7')).toBe(429)
    // Another client behind the same proxy gets in.
    expect(await via(url(valid), proxy, '203.0.113.8')).toBe(101)
    // Entries left of the last untrusted one are the client's own words: it cannot hide behind them.
    expect(await via(url(valid), proxy, '203.0.113.8, 203.0.113.7')).toBe(429)
    // Trusted hops (10.0.0.0/8) are skipped: the client is the one before them.
    expect(await via(url(valid), proxy, '203.0.113.7, 10.1.2.3')).toBe(429)
    expect(await via(url(valid), proxy, '203.0.113.9, 10.1.2.3')).toBe(101)
  })

  it('X-Forwarded-For from a socket that is not a trusted proxy is ignored', async () => {
    // 127.0.0.2 is not a proxy: whatever it claims, it is 127.0.0.2, with two places.
    expect(await via(url(valid, 'untrusted-a'), '127.0.0.2', '198.51.100.1')).toBe(101)
    expect(await via(url(valid, 'untrusted-b'), '127.0.0.2', '198.51.100.2')).toBe(101)
    expect(await via(url(valid, 'untrusted-c'), '127.0.0.2', '198.51.100.3')).toBe(429)
    // The operator hears of it, once: a proxy left out of the list is the likely cause.
    const warnings = server.logs.filter((line) => /not in --trusted-proxies/.test(String(line.msg)))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.peer).toBe('127.0.0.2')
  })

  it('the per-address connection limit follows the forwarded client', async () => {
    const proxy = '127.0.0.1'
    expect(await via(url(valid, 'crowded'), proxy, '198.51.100.10')).toBe(101)
    expect(await via(url(valid, 'crowded'), proxy, '198.51.100.10')).toBe(101)
    expect(await via(url(valid, 'crowded'), proxy, '198.51.100.10')).toBe(429)
    expect(await via(url(valid, 'crowded'), proxy, '198.51.100.11')).toBe(101)
  })
})

describe('bad values', () => {
  it('an entry that is not an address or range exits 2 naming the flag or variable', async () => {
    for (const value of ['proxy.example.com', '10.0.0.0/33', '127.0.0.1/8/1']) {
      const run = await runCli(['serve', '--port', '0', '--data', scratch(), '--trusted-proxies', value])
      expect(run.code, value).toBe(2)
      expect(run.stderr).toContain('--trusted-proxies')
    }
    const env = await runCli(['serve', '--port', '0', '--data', scratch()], { TRUSTED_PROXIES: '127.0.0.1,nope' })
    expect(env.code).toBe(2)
    expect(env.stderr).toContain('TRUSTED_PROXIES')
  })
})
