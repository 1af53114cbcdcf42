import { connect as tcpConnect } from 'node:net'
import { readMetric, type ServerProcess, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signToken } from '../src/auth/token.js'
import { admissionScratch, closeAll, type UpgradeResult } from './helpers/upgrade.js'

const SECRET = 'caps-test-secret-0123456789abcdef'

const { start, upgrade } = admissionScratch()

/** Upgrade (from loopback address `from`); a 101's socket stays open until the end of the file. */
const attempt = (url: string, from?: string): Promise<UpgradeResult> => upgrade(url, { from })

/** Send an upgrade whose handshake `ws` itself refuses (no Sec-WebSocket-Key); resolves with the status line. */
function malformedUpgrade(port: number, path: string, from: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host: '127.0.0.1', localAddress: from })
    let response = ''
    socket.on('connect', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n`)
    )
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()))
    socket.on('close', () => resolve(response.split('\r\n')[0] ?? ''))
    socket.on('error', reject)
  })
}

const statuses = (results: UpgradeResult[]) => results.map((result) => result.status)

describe('per address (--max-connections-per-address 3)', () => {
  let server: ServerProcess

  beforeAll(async () => {
    server = await start(['--max-connections-per-address', '3'])
  })
  afterAll(async () => {
    if (server) expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('the fourth connection from one address gets 429 with a sentence; other addresses still get in; a closed connection frees its place', async () => {
    const url = `${server.wsUrl}/shared-doc`
    const first = [await attempt(url, '127.0.0.2'), await attempt(url, '127.0.0.2'), await attempt(`${server.wsUrl}/other-doc`, '127.0.0.2')]
    expect(statuses(first)).toEqual([101, 101, 101])
    const refused = await attempt(url, '127.0.0.2')
    expect(refused.status).toBe(429)
    expect(refused.body).toMatch(/too many connections from your address/)
    expect(await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="too_many_address_connections"}')).toBe(1)
    expect((await attempt(url, '127.0.0.3')).status).toBe(101)

    await closeAll(first.slice(0, 1))
    await waitFor(async () => (await readMetric(server.httpUrl, 'quire_connections')) === 3, 'the closed connection to be counted out')
    expect((await attempt(url, '127.0.0.2')).status).toBe(101)
  })

  it('upgrades arriving at the same moment cannot overshoot the limit', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(`${server.wsUrl}/burst-${i % 2}`, '127.0.0.4')))
    expect(results.filter((result) => result.status === 101)).toHaveLength(3)
    expect(results.filter((result) => result.status === 429)).toHaveLength(9)
  })

  it('handshakes that ws refuses after admission (no Sec-WebSocket-Key) give their place back', async () => {
    for (let i = 0; i < 5; i++) expect(await malformedUpgrade(server.port, '/malformed', '127.0.0.5')).toMatch(/^HTTP\/1.1 400/)
    const results = [await attempt(`${server.wsUrl}/malformed`, '127.0.0.5'), await attempt(`${server.wsUrl}/malformed`, '127.0.0.5')]
    results.push(await attempt(`${server.wsUrl}/malformed`, '127.0.0.5'))
    expect(statuses(results)).toEqual([101, 101, 101])
  })
})

describe('per address at the defaults', () => {
  let server: ServerProcess

  beforeAll(async () => {
    server = await start([])
  })
  afterAll(async () => {
    if (server) expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('one address holds at most 256 connections, where it used to take every place of the server', async () => {
    const results: UpgradeResult[] = []
    for (let batch = 0; batch < 8; batch++) {
      results.push(...(await Promise.all(Array.from({ length: 32 }, (_, i) => attempt(`${server.wsUrl}/crowd-${(batch * 32 + i) % 40}`, '127.0.0.6')))))
    }
    expect(results.every((result) => result.status === 101)).toBe(true)
    const next = await attempt(`${server.wsUrl}/crowd-0`, '127.0.0.6')
    expect(next.status).toBe(429)
    expect((await attempt(`${server.wsUrl}/crowd-0`, '127.0.0.7')).status).toBe(101)
    await closeAll(results)
  })
})

describe("per token and the writers' reserve (--max-connections-per-token 3 --max-connections-per-document 10 --writer-reserve-percent 20)", () => {
  let server: ServerProcess
  const token = (doc: string, access: 'read' | 'write', user: string) => signToken(SECRET, { doc, access, expiresInSeconds: 3600, user })

  beforeAll(async () => {
    server = await start([
      '--auth-secret',
      SECRET,
      '--max-connections-per-token',
      '3',
      '--max-connections-per-document',
      '10',
      '--writer-reserve-percent',
      '20'
    ])
  })
  afterAll(async () => {
    if (server) expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('the fourth connection with one token gets 429; another token for the same document still gets in', async () => {
    const link = await token('linked', 'read', 'link')
    const url = (tok: string) => `${server.wsUrl}/linked?token=${tok}`
    // From different addresses: the limit follows the token, wherever it is used.
    const results = [await attempt(url(link), '127.0.0.2'), await attempt(url(link), '127.0.0.3'), await attempt(url(link), '127.0.0.4')]
    expect(statuses(results)).toEqual([101, 101, 101])
    const refused = await attempt(url(link), '127.0.0.5')
    expect(refused.status).toBe(429)
    expect(refused.body).toMatch(/too many connections with this token/)
    expect(await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="too_many_token_connections"}')).toBe(1)
    expect((await attempt(url(await token('linked', 'read', 'other')))).status).toBe(101)
  })

  it("read-only links cannot take the places kept for writers: the owner's write token still gets in", async () => {
    const url = (tok: string) => `${server.wsUrl}/reserved?token=${tok}`
    const readers: UpgradeResult[] = []
    // Read links open until the document refuses them: 10 places, 20% kept for writers.
    for (let i = 0; i < 5; i++) {
      const link = await token('reserved', 'read', `reader-${i}`)
      for (let j = 0; j < 3; j++) readers.push(await attempt(url(link)))
    }
    expect(readers.filter((result) => result.status === 101)).toHaveLength(8)
    const refusal = readers.find((result) => result.status !== 101)!
    expect(refusal.status).toBe(503)
    expect(refusal.body).toMatch(/read-only connections/)
    expect(await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="too_many_read_connections"}')).toBeGreaterThanOrEqual(1)

    const owner = await token('reserved', 'write', 'owner')
    expect(statuses([await attempt(url(owner)), await attempt(url(owner))])).toEqual([101, 101])
    const full = await attempt(url(await token('reserved', 'write', 'late writer')))
    expect(full.status).toBe(503)
    expect(full.body).toMatch(/document has too many connections/)
  })
})
