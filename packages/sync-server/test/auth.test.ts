/**
 * Access control against the real server process (issue 4, "Access control"): tokens are checked
 * before the WebSocket upgrade (401/403/429, never a 101), the name checked is the name stored
 * under (no spelling reaches another document), read tokens change nothing, tokens that expire
 * end their session with 4401, awareness cannot impersonate, and open mode warns beyond loopback.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { type Socket, connect as tcpConnect } from 'node:net'
import { CloseCode, type Frame, readFrame, writeFrame } from '@quire/protocol'
import { type Client, connect, readMetric, type ServerProcess, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import { signToken, verifyToken } from '../src/auth/token.js'
import { takeFrames, upgradeRequest } from './helpers/raw-socket.js'
import { watched } from './helpers/watched.js'

const SECRET = 'auth-test-secret-0123456789abcdef'
const OTHER_SECRET = 'a-different-secret-0123456789abc'

const folders: string[] = []
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

function token(doc: string, access: 'read' | 'write' = 'write', options: { user?: string; expiresInSeconds?: number; secret?: string } = {}): Promise<string> {
  return signToken(options.secret ?? SECRET, { doc, access, expiresInSeconds: options.expiresInSeconds ?? 3600, user: options.user })
}

/** Try a WebSocket upgrade with the `ws` client; resolves with 101 or the refusal's status and body. */
function upgrade(url: string, localAddress?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, localAddress ? { localAddress } : {})
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.on('open', () => {
      ws.close()
      resolve({ status: 101, body: '' })
    })
    ws.on('error', reject)
  })
}

/** GET a path (sent verbatim), optionally from a given local address. */
function get(port: number, path: string, localAddress?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, localAddress }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * A WebSocket spoken by hand over TCP, so that the request path goes out exactly as written
 * (the `ws` client and `new URL()` would resolve dot segments first).
 */
class RawSocket {
  status = 0
  body = ''
  readonly frames: Frame[] = []
  ended = false
  private buffer: Buffer = Buffer.alloc(0)
  private upgraded = false

  private constructor(readonly socket: Socket) {}

  /** Send the upgrade request for `path`; resolves once the response head (and any body) is in. */
  static open(port: number, path: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect(port, '127.0.0.1')
      const raw = new RawSocket(socket)
      let settled = false
      socket.on('error', () => {})
      socket.on('close', () => {
        raw.ended = true
        if (!settled) {
          settled = true
          if (raw.status) resolve(raw)
          else reject(new Error(`connection closed without a response for ${path}`))
        }
      })
      socket.on('connect', () => socket.write(upgradeRequest(port, path)))
      socket.on('data', (chunk: Buffer) => {
        raw.buffer = Buffer.concat([raw.buffer, chunk])
        if (!raw.upgraded) {
          const end = raw.buffer.indexOf('\r\n\r\n')
          if (end < 0) return
          const head = raw.buffer.subarray(0, end).toString()
          raw.status = Number(head.split(' ')[1])
          raw.buffer = raw.buffer.subarray(end + 4)
          if (raw.status !== 101) {
            // Refusals carry a short body and Connection: close; wait for the end.
            socket.on('end', () => (raw.body = raw.buffer.toString()))
            return
          }
          raw.upgraded = true
          settled = true
          resolve(raw)
        }
        raw.readFrames()
      })
    })
  }

  private readFrames(): void {
    const { frames, rest } = takeFrames(this.buffer)
    this.buffer = rest
    for (const { opcode, payload } of frames) if (opcode === 0x2) this.frames.push(readFrame(new Uint8Array(payload)))
  }

  /** Send one masked binary frame. */
  send(bytes: Uint8Array): void {
    const mask = randomBytes(4)
    const header = bytes.length < 126 ? Buffer.from([0x82, 0x80 | bytes.length]) : Buffer.from([0x82, 0x80 | 126, bytes.length >> 8, bytes.length & 0xff])
    const body = Buffer.from(bytes.map((byte, i) => byte ^ mask[i % 4]!))
    this.socket.write(Buffer.concat([header, mask, body]))
  }

  /** The document's text as the server sends it in answer to an empty sync step 1. */
  async text(): Promise<string> {
    this.send(writeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) }))
    await waitFor(() => this.frames.some((frame) => frame.type === 'sync-step2'), 'the sync step 2 on the raw socket', 10_000)
    const doc = new Y.Doc()
    for (const frame of this.frames) if (frame.type === 'sync-step2') Y.applyUpdate(doc, frame.update)
    return doc.getText('codemirror').toString()
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** An update, from a fresh client, that inserts `text` at the start of the document. */
function insertUpdate(text: string, clientID = 1 + Math.floor(Math.random() * 2 ** 30)): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = clientID
  doc.getText('codemirror').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

const userName = (client: Client, clientID: number): unknown =>
  (client.provider.awareness.getStates().get(clientID) as { user?: { name?: unknown } } | undefined)?.user?.name

describe('token mode', () => {
  let server: ServerProcess
  const clients: Client[] = []
  const client = (name: string, tok: string): Client => {
    const c = connect(server.wsUrl, name, { params: { token: tok } })
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    const dataDir = tempDataDir()
    folders.push(dataDir)
    // Failures from one address are limited; these tests fail on purpose many times from 127.0.0.1.
    server = await startServer({ dataDir, args: ['--auth-secret', SECRET, '--max-auth-failures', '1000000', '--max-awareness-bytes', '1024'] })
  })
  afterAll(async () => {
    for (const c of clients) c.destroy()
    if (server) expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('AC1: refuses missing, malformed, badly signed, expired and ill-claimed tokens with 401 before the upgrade', async () => {
    const url = (tok?: string) => `${server.wsUrl}/notes${tok === undefined ? '' : `?token=${encodeURIComponent(tok)}`}`
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const exp = Math.floor(Date.now() / 1000) + 3600
    const key = new TextEncoder().encode(SECRET)
    const cases: Array<[string, string | undefined]> = [
      ['no token', undefined],
      ['empty token', ''],
      ['not a JWT', 'not-a-token'],
      ['three junk segments', 'a.b.c'],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ doc: 'notes', access: 'write', exp })}.`],
      ['another secret', await token('notes', 'write', { secret: OTHER_SECRET })],
      ['expired', await token('notes', 'write', { expiresInSeconds: -10 })],
      [
        'HS512 with the right secret',
        await new SignJWT({ doc: 'notes', access: 'write' }).setProtectedHeader({ alg: 'HS512' }).setExpirationTime(exp).sign(key)
      ],
      ['no exp', await new SignJWT({ doc: 'notes', access: 'write' }).setProtectedHeader({ alg: 'HS256' }).sign(key)],
      ['access admin', await new SignJWT({ doc: 'notes', access: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(key)],
      ['doc not a string', await new SignJWT({ doc: 42, access: 'write' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(key)],
      ['a tampered payload', (await token('other', 'write')).replace(/\.[^.]+\./, `.${b64({ doc: 'notes', access: 'write', exp })}.`)]
    ]
    for (const [what, tok] of cases) {
      const { status, body } = await upgrade(url(tok))
      expect(status, what).toBe(401)
      expect(body.length, `${what}: the refusal says why`).toBeGreaterThan(5)
    }
    // The same token with the right secret and claims opens (so the 401s above are about the token).
    expect((await upgrade(url(await token('notes')))).status).toBe(101)
    // Refusals are logged without the token.
    const refusals = server.logs.filter((line) => String(line.msg).startsWith('upgrade refused'))
    expect(refusals.length).toBeGreaterThanOrEqual(cases.length)
    expect(JSON.stringify(server.logs)).not.toContain(cases[5]![1]!)
  })

  it('a valid token for another document gets 403', async () => {
    const { status, body } = await upgrade(`${server.wsUrl}/notes?token=${await token('other-doc')}`)
    expect(status).toBe(403)
    expect(body).toContain('notes')
  })

  it('no spelling of a path reaches a document the token does not cover', async () => {
    const star = await token('*')
    const seed = async (name: string, content: string) => {
      const c = client(name, star)
      await c.synced()
      c.text.insert(0, content)
      const check = client(name, star)
      await check.synced()
      await waitFor(() => check.text.toString() === content, `"${name}" to hold its content`)
    }
    await seed('team/a', 'content of team/a')
    await seed('team/b', 'SECRET of team/b')
    await seed('team/a/b', 'content of team/a/b')

    const exact = await token('team/a')
    const folder = await token('team/a/*')
    const cases: Array<[string, string]> = [
      ['/team/b', exact],
      ['/team/a/../b', exact],
      ['/team/a/%2E%2E/b', exact],
      ['/team/a/%2e%2e/b', exact],
      ['/team%2Fb', exact],
      ['/team%2fb', exact],
      ['/team%2Fa', exact],
      ['/team/a/', exact],
      ['/team/a/.', exact],
      ['/team/./a', exact],
      ['/./team/a', exact],
      ['/team//a', exact],
      ['//team/a', exact],
      ['/Team/a', exact],
      ['/TEAM/A', exact],
      ['/team/A', exact],
      ['/team/a%00', exact],
      ['/team/a%20', exact],
      ['/team/%D0%B0', exact],
      ['/team/a%5C..%5Cb', exact],
      ['/team%252Fb', exact],
      ['/team/%61', exact],
      ['/te%61m/a', exact],
      ['/team/a/../b', folder],
      ['/team/a/%2E%2E/b', folder],
      ['/team/a/..%2Fb', folder],
      ['/team/a/.%2E/b', folder],
      ['/team/a/%2E%2E%2Fb', folder],
      ['/team/a/./../b', folder],
      ['/team/a/b/../../b', folder],
      ['/team/a/b', folder]
    ]
    const outcomes: string[] = []
    let opened = 0
    for (const [path, tok] of cases) {
      const raw = await RawSocket.open(server.port, `${path}?token=${tok}`)
      try {
        if (raw.status === 101) {
          opened++
          const text = await raw.text()
          // Only canonical spellings of a covered document may open, and they serve that document.
          expect(['content of team/a', 'content of team/a/b'], `${path} opened a document holding "${text}"`).toContain(text)
          outcomes.push(`${path} -> 101 "${text}"`)
        } else {
          expect([400, 403], `${path} answered ${raw.status}`).toContain(raw.status)
          outcomes.push(`${path} -> ${raw.status}`)
        }
      } finally {
        raw.destroy()
      }
    }
    // Percent-encoded letters are the same name; so is team/a/b under team/a/*. Nothing else opens.
    expect(outcomes.filter((line) => line.includes('101'))).toEqual([
      '/team/%61 -> 101 "content of team/a"',
      '/te%61m/a -> 101 "content of team/a"',
      '/team/a/b -> 101 "content of team/a/b"'
    ])
    expect(opened).toBe(3)
    // team/b is untouched.
    const check = client('team/b', star)
    await check.synced()
    expect(check.text.toString()).toBe('SECRET of team/b')
  })

  it('prefix tokens open their folder only; "*" opens everything', async () => {
    const folder = await token('team/*')
    const all = await token('*')
    const status = async (path: string, tok: string) => (await upgrade(`${server.wsUrl}${path}?token=${tok}`)).status
    expect(await status('/team/x', folder)).toBe(101)
    expect(await status('/team/x/y', folder)).toBe(101)
    expect(await status('/teamx', folder)).toBe(403)
    expect(await status('/team', folder)).toBe(403)
    expect(await status('/other/x', folder)).toBe(403)
    expect(await status('/Team/x', folder)).toBe(403)
    expect(await status('/team/..%2Fother', folder)).toBe(400)
    for (const path of ['/team/x', '/teamx', '/other/x', '/a', '/deep/ly/nested/doc']) expect(await status(path, all), path).toBe(101)
  })

  it('GET /api/access/<doc> answers 200 {access}, 400, 401 and 403 like the upgrade does', async () => {
    const read = await token('team/*', 'read')
    const ok = await get(server.port, `/api/access/team/a?token=${read}`)
    expect(ok.status).toBe(200)
    expect(JSON.parse(ok.body)).toEqual({ document: 'team/a', access: 'read' })
    const write = await get(server.port, `/api/access/team/a?token=${await token('team/a', 'write')}`)
    expect(JSON.parse(write.body)).toMatchObject({ access: 'write' })
    const missing = await get(server.port, '/api/access/team/a')
    expect(missing.status).toBe(401)
    expect(JSON.parse(missing.body).error).toMatch(/token/)
    expect((await get(server.port, `/api/access/team/a?token=${await token('team/a', 'write', { secret: OTHER_SECRET })}`)).status).toBe(401)
    expect((await get(server.port, `/api/access/team/a?token=${await token('team/a', 'write', { expiresInSeconds: -5 })}`)).status).toBe(401)
    const forbidden = await get(server.port, `/api/access/other/a?token=${read}`)
    expect(forbidden.status).toBe(403)
    expect(JSON.parse(forbidden.body).error).toContain('other/a')
    expect((await get(server.port, `/api/access/team%2Fa?token=${read}`)).status).toBe(400)
    expect((await get(server.port, `/api/access/team/a/../b?token=${read}`)).status).toBe(400)
  })

  it('AC2/F6: a read token syncs and reads; its changes are refused with permission-denied, not relayed, not stored', async () => {
    const name = 'read-only-doc'
    const writeTok = await token(name, 'write')
    const readTok = await token(name, 'read')
    const writer = client(name, writeTok)
    await writer.synced()
    writer.text.insert(0, 'written by the writer')

    // The stock client reads the content.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const reader = client(name, readTok)
      await reader.synced()
      await waitFor(() => reader.text.toString() === 'written by the writer', "the reader to see the writer's text")
      reader.text.insert(0, 'EVIL-STOCK ')
      await waitFor(() => warn.mock.calls.some((call) => String(call[0]).includes('Permission denied')), 'the stock client to be told permission denied')
      expect(String(warn.mock.calls.find((call) => String(call[0]).includes('Permission denied'))![0])).toMatch(/read-only/)
    } finally {
      warn.mockRestore()
    }

    // A raw client with the read token: sync-update and sync-step2 are both refused, by message.
    const raw = await watched(`${server.wsUrl}/${name}?token=${readTok}`)
    raw.ws.send(writeFrame({ type: 'sync-update', update: insertUpdate('EVIL-UPDATE ') }))
    raw.ws.send(writeFrame({ type: 'sync-step2', update: insertUpdate('EVIL-STEP2 ') }))
    // A delete-only update (of the writer's text) is a change too.
    const local = new Y.Doc()
    raw.ws.send(writeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(local) }))
    await waitFor(() => raw.frames.some((frame) => frame.type === 'sync-step2'), "the reader's sync step 2")
    for (const frame of raw.frames) if (frame.type === 'sync-step2') Y.applyUpdate(local, frame.update)
    expect(local.getText('codemirror').toString()).toBe('written by the writer')
    const deletion: Uint8Array[] = []
    local.on('update', (update: Uint8Array) => deletion.push(update))
    local.getText('codemirror').delete(0, 8)
    raw.ws.send(writeFrame({ type: 'sync-update', update: deletion[0]! }))
    await raw.barrier()
    const denied = raw.frames.filter((frame): frame is Extract<Frame, { type: 'permission-denied' }> => frame.type === 'permission-denied')
    expect(denied.length).toBe(3)
    expect(denied[0]!.reason).toMatch(/read-only/)
    expect(raw.closed).toBeUndefined()
    // It stays a reader: it still gets the writer's later updates.
    writer.text.insert(writer.text.length, ' and more')
    await waitFor(() => raw.frames.some((frame) => frame.type === 'sync-update'), "the reader to receive the writer's update")

    // Barrier: a second writer's edit goes through the same write queue after the refused ones;
    // once the first writer sees it, anything relayed before it would have arrived too.
    const second = client(name, writeTok)
    await second.synced()
    second.text.insert(second.text.length, ' [mark]')
    await waitFor(() => writer.text.toString().includes('[mark]'), 'the writer to see the mark')
    expect(writer.text.toString()).toBe('written by the writer and more [mark]')
    const fresh = client(name, readTok)
    await fresh.synced()
    expect(fresh.text.toString()).toBe('written by the writer and more [mark]')
    raw.ws.close()

    // After a restart, nothing of the reader's is stored.
    for (const c of clients.splice(0)) c.destroy()
    expect(await server.kill('SIGTERM')).toBe(0)
    server = await startServer({ dataDir: server.dataDir, args: ['--auth-secret', SECRET, '--max-auth-failures', '1000000', '--max-awareness-bytes', '1024'] })
    const after = client(name, readTok)
    await after.synced()
    expect(after.text.toString()).toBe('written by the writer and more [mark]')
  })

  it('AC4: a token that expires during the session closes the connection with 4401 within a few seconds', async () => {
    const tok = await token('expiring', 'write', { expiresInSeconds: 2 })
    const { expiresAt } = await verifyToken(SECRET, tok)
    const lasting = await watched(`${server.wsUrl}/expiring?token=${await token('expiring')}`)
    const session = await watched(`${server.wsUrl}/expiring?token=${tok}`)
    await waitFor(() => session.closed !== undefined, 'the expiring session to be closed', 10_000)
    expect(session.closed!.code).toBe(CloseCode.Unauthorized)
    expect(session.closed!.reason).toMatch(/expired/)
    // Not before the expiry, and within a few seconds of it.
    expect(session.closed!.at).toBeGreaterThanOrEqual(expiresAt * 1000 - 50)
    expect(session.closed!.at - expiresAt * 1000).toBeLessThan(3000)
    // The other session on the document is untouched.
    await lasting.barrier()
    expect(lasting.closed).toBeUndefined()
    lasting.ws.close()
    // And the expired token can no longer connect.
    expect((await upgrade(`${server.wsUrl}/expiring?token=${tok}`)).status).toBe(401)
  })

  it("AC3: awareness carries the token's user name whatever the client claims; without a user name, states pass as sent", async () => {
    const name = 'presence'
    const ada = client(name, await token(name, 'write', { user: 'Ada' }))
    const bob = client(name, await token(name, 'read', { user: 'Bob' }))
    const anon = client(name, await token(name, 'write'))
    await Promise.all([ada.synced(), bob.synced(), anon.synced()])
    ada.provider.awareness.setLocalStateField('user', { name: 'Mallory', color: '#123456' })
    anon.provider.awareness.setLocalStateField('user', { name: 'Carol', color: '#654321' })
    const colorOf = (clientID: number) => (bob.provider.awareness.getStates().get(clientID) as { user?: { color?: string } } | undefined)?.user?.color
    await waitFor(() => colorOf(ada.doc.clientID) === '#123456' && colorOf(anon.doc.clientID) === '#654321', "bob to see ada's and anon's states")
    expect(userName(bob, ada.doc.clientID)).toBe('Ada')
    expect(userName(anon, ada.doc.clientID)).toBe('Ada')
    expect(userName(bob, anon.doc.clientID)).toBe('Carol')

    // A user field that is not an object, and no user field at all, still end up as Ada.
    ada.provider.awareness.setLocalState({ user: 'Mallory', cursor: 7 })
    await waitFor(() => (bob.provider.awareness.getStates().get(ada.doc.clientID) as { cursor?: number } | undefined)?.cursor === 7, 'the cursor state')
    expect(userName(bob, ada.doc.clientID)).toBe('Ada')
    ada.provider.awareness.setLocalState({ cursor: 8 })
    await waitFor(() => (bob.provider.awareness.getStates().get(ada.doc.clientID) as { cursor?: number } | undefined)?.cursor === 8, 'the second cursor state')
    expect(userName(bob, ada.doc.clientID)).toBe('Ada')
  })

  it('AC3: a connection cannot overwrite or remove an awareness clientID another connection controls', async () => {
    const name = 'presence-theft'
    const victim = client(name, await token(name, 'write', { user: 'Bob' }))
    await victim.synced()
    victim.provider.awareness.setLocalStateField('user', { name: 'ignored', color: '#0000ff' })
    const observer = await watched(`${server.wsUrl}/${name}?token=${await token(name, 'read')}`)
    const seen = new awarenessProtocol.Awareness(new Y.Doc())
    const namesSeen = new Set<unknown>()
    const absorb = () => {
      for (const frame of observer.frames.splice(0)) {
        if (frame.type !== 'awareness') continue
        awarenessProtocol.applyAwarenessUpdate(seen, frame.update, 'server')
        for (const state of seen.getStates().values()) namesSeen.add((state as { user?: { name?: unknown } }).user?.name)
      }
    }
    await waitFor(() => {
      absorb()
      return (seen.getStates().get(victim.doc.clientID) as { user?: { color?: string } } | undefined)?.user?.color === '#0000ff'
    }, "the observer to see the victim's state")

    // The attacker (a write token without a user name, so nothing is forced) speaks for the victim's id.
    const attacker = await watched(`${server.wsUrl}/${name}?token=${await token(name, 'write')}`)
    // The wire format by hand: one entry, the victim's id, a clock far ahead, the JSON state.
    const forged = (state: unknown, clock: number) => {
      const json = JSON.stringify(state)
      return new Uint8Array([1, ...varUint(victim.doc.clientID), ...varUint(clock), ...varUint(Buffer.byteLength(json)), ...Buffer.from(json)])
    }
    attacker.ws.send(writeFrame({ type: 'awareness', update: forged({ user: { name: 'Forged', color: '#ff0000' } }, 1_000_000) }))
    attacker.ws.send(writeFrame({ type: 'awareness', update: forged(null, 2_000_000) }))
    await attacker.barrier()
    await observer.barrier()
    absorb()
    expect(namesSeen.has('Forged')).toBe(false)
    expect(seen.getStates().get(victim.doc.clientID)).toMatchObject({ user: { name: 'Bob', color: '#0000ff' } })
    // The attacker's own answer shows the victim unchanged, too.
    const answer = attacker.frames.filter((frame) => frame.type === 'awareness').at(-1) as Extract<Frame, { type: 'awareness' }>
    const view = new awarenessProtocol.Awareness(new Y.Doc())
    awarenessProtocol.applyAwarenessUpdate(view, answer.update, 'server')
    expect(view.getStates().get(victim.doc.clientID)).toMatchObject({ user: { name: 'Bob' } })
    expect(attacker.closed).toBeUndefined()
    attacker.ws.close()
    observer.ws.close()
  })

  it('an awareness state over --max-awareness-bytes closes the connection with 4413', async () => {
    const name = 'presence-size'
    const tok = await token(name, 'write', { user: 'Ada' })
    const small = await watched(`${server.wsUrl}/${name}?token=${tok}`)
    const state = (size: number) => {
      const json = JSON.stringify({ pad: 'x'.repeat(size) })
      return new Uint8Array([1, ...varUint(123_456), ...varUint(1), ...varUint(Buffer.byteLength(json)), ...Buffer.from(json)])
    }
    small.ws.send(writeFrame({ type: 'awareness', update: state(900) }))
    await small.barrier()
    expect(small.closed).toBeUndefined()
    const big = await watched(`${server.wsUrl}/${name}?token=${tok}`)
    big.ws.send(writeFrame({ type: 'awareness', update: state(2000) }))
    await waitFor(() => big.closed !== undefined, 'the oversized awareness to be refused', 10_000)
    expect(big.closed!.code).toBe(CloseCode.AwarenessTooLarge)
    small.ws.close()
  })
})

function varUint(n: number): number[] {
  const out: number[] = []
  while (n > 0x7f) {
    out.push(0x80 | (n & 0x7f))
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}

describe('awareness states per connection', () => {
  let server: ServerProcess
  beforeAll(async () => {
    const dataDir = tempDataDir()
    folders.push(dataDir)
    server = await startServer({ dataDir, args: ['--auth-secret', SECRET] })
  })
  afterAll(async () => {
    if (server) expect(await server.kill('SIGTERM')).toBe(0)
  })

  /** An awareness update with `n` entries for client ids from `first`, each a state of about `size` bytes. */
  function manyStates(first: number, n: number, size: number): Uint8Array {
    const json = Buffer.from(JSON.stringify({ pad: 'y'.repeat(size) }))
    const out: number[] = [...varUint(n)]
    for (let i = 0; i < n; i++) out.push(...varUint(first + i), ...varUint(1), ...varUint(json.length), ...json)
    return new Uint8Array(out)
  }

  it('one connection cannot make the server hold unbounded awareness state (20,000 client ids x 4 KB)', async () => {
    const rssBefore = (await readMetric(server.httpUrl, 'quire_process_resident_memory_bytes'))!
    // A token naming a user: every state is forced to "Ada", yet their number is not limited.
    const flooder = await watched(`${server.wsUrl}/presence-flood?token=${await token('presence-flood', 'read', { user: 'Ada' })}`)
    // Each message is modest (200 states under the 8 KB per-state cap) and the pace follows the
    // server's echo, so neither the message, rate nor slow-client limits apply: only the count is hostile.
    let sent = 0
    for (let m = 0; m < 100 && flooder.closed === undefined; m++) {
      const echoes = flooder.frames.filter((frame) => frame.type === 'awareness').length
      flooder.ws.send(writeFrame({ type: 'awareness', update: manyStates(1 + m * 200, 200, 4000) }))
      sent += 200
      await waitFor(
        () => flooder.closed !== undefined || flooder.frames.filter((frame) => frame.type === 'awareness').length > echoes,
        `the echo of message ${m}`,
        10_000
      )
      flooder.frames.length = 0
    }
    const rssAfter = (await readMetric(server.httpUrl, 'quire_process_resident_memory_bytes'))!
    const growth = (rssAfter - rssBefore) / 2 ** 20
    console.info(
      `[awareness flood] ${sent} states of 4 KB from one connection: server RSS +${growth.toFixed(0)} MB; ` +
        `connection ${flooder.closed ? `closed with ${flooder.closed.code}` : 'still open'}`
    )
    flooder.ws.terminate()
    // 80 MB of states were offered; a bounded server keeps a small, fixed number per connection.
    expect(growth).toBeLessThan(50)
  })
})

describe('failed authentications per address', () => {
  let server: ServerProcess

  beforeAll(async () => {
    const dataDir = tempDataDir()
    folders.push(dataDir)
    server = await startServer({ dataDir, args: ['--auth-secret', SECRET, '--max-auth-failures', '5', '--auth-block-ms', '2000'] })
  })
  afterAll(async () => {
    if (server) expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('after 5 forged or garbled tokens the address gets 429 (even with a valid token) until the block ends; other addresses are unaffected', async () => {
    const url = (tok?: string) => `${server.wsUrl}/limited${tok ? `?token=${tok}` : ''}`
    const valid = await token('limited')
    const wrongDoc = await token('elsewhere')
    const expired = await token('limited', 'write', { expiresInSeconds: -10 })
    const forged = (i: number) => token('limited', 'write', { secret: OTHER_SECRET, user: `guess ${i}` })
    const from = '127.0.0.2'
    // Not guesses: no token, a valid token for another document (403), a token this server signed that expired.
    for (let i = 0; i < 3; i++) {
      expect((await upgrade(url(), from)).status).toBe(401)
      expect((await upgrade(url(wrongDoc), from)).status).toBe(403)
      expect((await upgrade(url(expired), from)).status).toBe(401)
    }
    expect((await upgrade(url('junk'), from)).status).toBe(401)
    // The same garbled token again counts once.
    expect((await upgrade(url('junk'), from)).status).toBe(401)
    for (let i = 0; i < 3; i++) expect((await upgrade(url(await forged(i)), from)).status).toBe(401)
    // Four guesses: a valid token still opens.
    expect((await upgrade(url(valid), from)).status).toBe(101)
    expect((await upgrade(url(await forged(3)), from)).status).toBe(401)
    const blockedAt = Date.now()
    const blocked = await upgrade(url(valid), from)
    expect(blocked.status).toBe(429)
    expect(blocked.body).toMatch(/too many failed/)
    expect((await get(server.port, `/api/access/limited?token=${valid}`, from)).status).toBe(429)
    // Another address is not blocked.
    expect((await upgrade(url(valid), '127.0.0.3')).status).toBe(101)
    expect((await upgrade(url(), '127.0.0.3')).status).toBe(401)

    // Once the block ends, the valid token opens again.
    let status = 0
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      status = (await upgrade(url(valid), from)).status
      if (status !== 429) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(status).toBe(101)
    expect(Date.now() - blockedAt).toBeGreaterThanOrEqual(1500)
  })
})

describe('open mode', () => {
  const WARNING = /no access control/

  it('warns when it listens beyond loopback without --auth-secret, and not otherwise', async () => {
    const run = async (args: string[], env: Record<string, string> = {}) => {
      const dataDir = tempDataDir()
      folders.push(dataDir)
      const server = await startServer({ dataDir, args, env })
      // Reached through loopback only, whatever it listens on.
      const status = (await upgrade(`${server.wsUrl}/open-doc`)).status
      expect(await server.kill('SIGTERM')).toBe(0)
      return { status, warned: server.logs.filter((line) => line.level === 40 && WARNING.test(String(line.msg))) }
    }
    const open = await run(['--host', '0.0.0.0'])
    expect(open.status).toBe(101)
    expect(open.warned).toHaveLength(1)
    expect(open.warned[0]!.host).toBe('0.0.0.0')

    const loopback = await run([])
    expect(loopback.status).toBe(101)
    expect(loopback.warned).toHaveLength(0)

    // The secret from the environment turns token mode on: no warning, and no token is a 401.
    const secured = await run(['--host', '0.0.0.0'], { AUTH_SECRET: SECRET })
    expect(secured.status).toBe(401)
    expect(secured.warned).toHaveLength(0)
  })
})
