/**
 * `quire token` as operators run it (the built bin, in its own process): it prints one HS256 JWT
 * with the document, access, user and expiry asked for; mistakes exit 2 naming the flag; the
 * secret may come from AUTH_SECRET; and what it prints opens the real server.
 */
import { rmSync } from 'node:fs'
import { readFrame, writeFrame } from '@quire/protocol'
import { runCli, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { SignJWT } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { verifyToken } from '../src/auth/token.js'

const SECRET = 'token-cli-secret-0123456789abcdef'
// The variables under test come from each call only.
const NO_ENV = { AUTH_SECRET: '' }

const folders: string[] = []
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

function token(args: string[], env: Record<string, string> = NO_ENV) {
  return runCli(['token', ...args], env)
}

/** Run `task` over `items`, two at a time (the machine has two cores). */
async function inPairs<T, R>(items: T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += 2) results.push(...(await Promise.all(items.slice(i, i + 2).map(task))))
  return results
}

function header(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString())
}

describe('quire token', () => {
  it('prints one JWT that verifies, with the given doc, access, user and expiry (--expires 90m is now + 5400 s)', async () => {
    const before = Math.floor(Date.now() / 1000)
    const { code, stdout, stderr } = await token(['--secret', SECRET, '--doc', 'team/notes', '--access', 'read', '--expires', '90m', '--user', 'Ada Lovelace'])
    const after = Math.floor(Date.now() / 1000)
    expect(code).toBe(0)
    expect(stderr).toBe('')
    expect(stdout.endsWith('\n')).toBe(true)
    const jwt = stdout.trim()
    expect(jwt.split('\n')).toHaveLength(1)
    expect(jwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(header(jwt)).toMatchObject({ alg: 'HS256' })
    const grant = await verifyToken(SECRET, jwt)
    expect(grant).toMatchObject({ doc: 'team/notes', access: 'read', user: 'Ada Lovelace' })
    expect(grant.expiresAt).toBeGreaterThanOrEqual(before + 5400)
    expect(grant.expiresAt).toBeLessThanOrEqual(after + 5400)
    await expect(verifyToken('another-secret-0123456789abcdef', jwt)).rejects.toMatchObject({ problem: 'bad-signature' })
  })

  it('defaults to one hour and no user; accepts s, m, h and d, and folder prefixes', async () => {
    const now = Math.floor(Date.now() / 1000)
    const cases: Array<{ args: string[]; doc: string; access: 'read' | 'write'; lifetime: number }> = [
      { args: ['--doc', 'plain', '--access', 'write'], doc: 'plain', access: 'write', lifetime: 3600 },
      { args: ['--doc', 'team/*', '--access', 'read', '--expires', '30s'], doc: 'team/*', access: 'read', lifetime: 30 },
      { args: ['--doc', '*', '--access', 'write', '--expires', '2d'], doc: '*', access: 'write', lifetime: 172_800 },
      { args: ['--doc', 'a/b/c', '--access', 'read', '--expires', '12h'], doc: 'a/b/c', access: 'read', lifetime: 43_200 }
    ]
    const results = await inPairs(cases, (c) => token(['--secret', SECRET, ...c.args]))
    for (const [i, result] of results.entries()) {
      const c = cases[i]!
      expect(result.code, `${c.args.join(' ')}: ${result.stderr}`).toBe(0)
      const grant = await verifyToken(SECRET, result.stdout.trim())
      expect(grant.doc).toBe(c.doc)
      expect(grant.access).toBe(c.access)
      expect(grant.user).toBeUndefined()
      expect(Math.abs(grant.expiresAt - (now + c.lifetime)), c.args.join(' ')).toBeLessThanOrEqual(30)
    }
  })

  it('takes the secret from AUTH_SECRET; --secret wins over it', async () => {
    const fromEnv = await token(['--doc', 'env-doc', '--access', 'write'], { AUTH_SECRET: SECRET })
    expect(fromEnv.code).toBe(0)
    expect((await verifyToken(SECRET, fromEnv.stdout.trim())).doc).toBe('env-doc')
    const other = 'flag-secret-wins-0123456789abcdef'
    const fromFlag = await token(['--secret', other, '--doc', 'env-doc', '--access', 'write'], { AUTH_SECRET: SECRET })
    expect(fromFlag.code).toBe(0)
    await expect(verifyToken(other, fromFlag.stdout.trim())).resolves.toMatchObject({ doc: 'env-doc' })
    // A short AUTH_SECRET is refused like a short --secret.
    const short = await token(['--doc', 'env-doc', '--access', 'write'], { AUTH_SECRET: 'too-short' })
    expect(short.code).toBe(2)
    expect(short.stderr).toMatch(/16 characters/)
  })

  it('mistakes exit 2 with a message naming the flag, and print no token', async () => {
    const ok = ['--secret', SECRET, '--doc', 'notes', '--access', 'write']
    const without = (flag: string) => {
      const i = ok.indexOf(flag)
      return [...ok.slice(0, i), ...ok.slice(i + 2)]
    }
    const cases: Array<{ what: string; args: string[]; flag: RegExp }> = [
      { what: 'missing --doc', args: without('--doc'), flag: /--doc/ },
      { what: 'empty --doc', args: [...without('--doc'), '--doc', ''], flag: /--doc/ },
      { what: 'missing --access', args: without('--access'), flag: /--access/ },
      { what: 'bad --access', args: [...without('--access'), '--access', 'admin'], flag: /--access/ },
      { what: 'bad --access (case)', args: [...without('--access'), '--access', 'Write'], flag: /--access/ },
      { what: '--expires without a unit', args: [...ok, '--expires', '90'], flag: /--expires/ },
      { what: '--expires with a fraction', args: [...ok, '--expires', '1.5h'], flag: /--expires/ },
      { what: '--expires of zero', args: [...ok, '--expires', '0s'], flag: /--expires/ },
      { what: '--expires negative', args: [...ok, '--expires=-1h'], flag: /--expires/ },
      { what: '--expires in weeks', args: [...ok, '--expires', '1w'], flag: /--expires/ },
      { what: '--expires words', args: [...ok, '--expires', 'soon'], flag: /--expires/ },
      { what: 'short --secret', args: [...without('--secret'), '--secret', 'fifteen-chars!!'], flag: /--secret/ },
      { what: 'no secret at all', args: without('--secret'), flag: /--secret|AUTH_SECRET/ },
      { what: 'dot segments', args: [...without('--doc'), '--doc', 'team/../admin'], flag: /--doc/ },
      { what: 'trailing slash', args: [...without('--doc'), '--doc', 'team/'], flag: /--doc/ },
      { what: 'a space', args: [...without('--doc'), '--doc', 'my notes'], flag: /--doc/ },
      { what: 'percent', args: [...without('--doc'), '--doc', 'team%2Fb'], flag: /--doc/ },
      { what: 'too long', args: [...without('--doc'), '--doc', 'x'.repeat(257)], flag: /--doc/ },
      { what: 'bad prefix', args: [...without('--doc'), '--doc', 'my team/*'], flag: /--doc/ },
      { what: 'star in the middle', args: [...without('--doc'), '--doc', 'te*am'], flag: /--doc/ },
      { what: 'a prefix not ending at a folder (team* covers teamsecret)', args: [...without('--doc'), '--doc', 'team*'], flag: /--doc.*folder.*"team\/\*"/ },
      { what: 'a nested prefix not ending at a folder', args: [...without('--doc'), '--doc', 'team/a*'], flag: /--doc.*"team\/a\/\*"/ },
      { what: 'empty --user', args: [...ok, '--user', ''], flag: /--user/ },
      { what: 'long --user', args: [...ok, '--user', 'u'.repeat(101)], flag: /--user/ },
      { what: 'unknown flag', args: [...ok, '--bogus', 'x'], flag: /--bogus/ },
      { what: 'a positional', args: [...ok, 'extra'], flag: /extra|positional|argument/i }
    ]
    const results = await inPairs(cases, (c) => token(c.args))
    results.forEach((result, i) => {
      const c = cases[i]!
      expect(result.code, `${c.what}: ${result.stderr}`).toBe(2)
      expect(result.stdout, c.what).toBe('')
      expect(result.stderr, c.what).toMatch(c.flag)
      expect(result.stderr, `${c.what}: the secret is never echoed`).not.toContain(SECRET)
    })
  })

  it('--help exits 0 and lists the flags', async () => {
    const { code, stdout } = await token(['--help'])
    expect(code).toBe(0)
    for (const flag of ['--doc', '--access', '--expires', '--user', '--secret']) expect(stdout).toContain(flag)
  })

  it('what it prints opens the real server: write for the document, read-only for a reader, 403 elsewhere', async () => {
    const dataDir = tempDataDir()
    folders.push(dataDir)
    const server = await startServer({ dataDir, args: ['--auth-secret', SECRET] })
    try {
      const [write, read] = await Promise.all([
        token(['--secret', SECRET, '--doc', 'cli/*', '--access', 'write', '--user', 'Ada']),
        token(['--secret', SECRET, '--doc', 'cli/doc', '--access', 'read', '--expires', '5m'])
      ])
      const open = (path: string, jwt: string) =>
        new Promise<{ status: number; ws?: WebSocket; frames: Uint8Array[] }>((resolve, reject) => {
          const frames: Uint8Array[] = []
          const ws = new WebSocket(`${server.wsUrl}${path}?token=${jwt.trim()}`)
          ws.on('message', (data: Buffer) => frames.push(new Uint8Array(data)))
          ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, frames }))
          ws.on('open', () => resolve({ status: 101, ws, frames }))
          ws.on('error', reject)
        })
      const writer = await open('/cli/doc', write.stdout)
      expect(writer.status).toBe(101)
      const doc = new Y.Doc()
      doc.getText('codemirror').insert(0, 'from the CLI token')
      writer.ws!.send(writeFrame({ type: 'sync-update', update: Y.encodeStateAsUpdate(doc) }))
      const reader = await open('/cli/doc', read.stdout)
      expect(reader.status).toBe(101)
      reader.ws!.send(writeFrame({ type: 'sync-step1', stateVector: new Uint8Array([0]) }))
      const seen = new Y.Doc()
      await waitFor(() => {
        for (const frame of reader.frames.splice(0)) {
          const decoded = readFrame(frame)
          if (decoded.type === 'sync-step2' || decoded.type === 'sync-update') Y.applyUpdate(seen, decoded.update)
        }
        return seen.getText('codemirror').toString() === 'from the CLI token'
      }, "the reader to see the writer's text")
      const refused = new Y.Doc()
      refused.getText('codemirror').insert(0, 'nope')
      reader.ws!.send(writeFrame({ type: 'sync-update', update: Y.encodeStateAsUpdate(refused) }))
      await waitFor(() => reader.frames.some((frame) => readFrame(frame).type === 'permission-denied'), 'the reader to be refused')
      expect((await open('/other', write.stdout)).status).toBe(403)
      expect((await open('/cli/other', read.stdout)).status).toBe(403)
      writer.ws!.close()
      reader.ws!.close()
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0)
    }
  })

  it('a token whose prefix does not end at a folder (doc "team*", minted elsewhere) is refused with 401 saying why', async () => {
    const dataDir = tempDataDir()
    folders.push(dataDir)
    const server = await startServer({ dataDir, args: ['--auth-secret', SECRET] })
    try {
      const mint = (doc: string) =>
        new SignJWT({ doc, access: 'write' })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
          .sign(new TextEncoder().encode(SECRET))
      const trap = await mint('team*')
      for (const name of ['teamsecret', 'team/notes']) {
        const res = await fetch(`${server.httpUrl}/api/access/${name}?token=${trap}`)
        expect(res.status, name).toBe(401)
        expect(((await res.json()) as { error: string }).error, name).toMatch(/folder.*"team\/\*"/)
      }
      const upgrade = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${server.wsUrl}/teamsecret?token=${trap}`)
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        ws.on('open', () => resolve(101))
        ws.on('error', reject)
      })
      expect(upgrade).toBe(401)
      // The valid spellings still work: a folder and everything.
      expect((await fetch(`${server.httpUrl}/api/access/team/notes?token=${await mint('team/*')}`)).status).toBe(200)
      expect((await fetch(`${server.httpUrl}/api/access/teamsecret?token=${await mint('team/*')}`)).status).toBe(403)
      expect((await fetch(`${server.httpUrl}/api/access/teamsecret?token=${await mint('*')}`)).status).toBe(200)
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0)
    }
  })
})
