/**
 * The auth secret as operators give it (the built bin, in its own process): an explicitly empty
 * secret is refused rather than running open, the secret may come from a file (kept out of `ps`),
 * and the mode (open or token) is on the listening line, with a warning on stderr when open.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { signToken, verifyToken } from '../src/auth/token.js'

const SECRET = 'secret-test-secret-0123456789abc'
// None of the variables under test leaks in from the environment the tests run in (children
// inherit this process's environment; an empty value would itself be under test).
for (const name of ['AUTH_SECRET', 'AUTH_SECRET_FILE', 'METRICS_TOKEN', 'LOG_LEVEL']) delete process.env[name]
const CLEAN: Record<string, string> = {}

const folders: string[] = []
function folder(): string {
  const dir = tempDataDir()
  folders.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

/** A file holding `content`. */
function file(content: string): string {
  const path = join(folder(), 'secret')
  writeFileSync(path, content)
  return path
}

/** `quire serve` that is expected to refuse to start; one that starts anyway is killed after 20 s (code null). */
function serve(args: string[], env: Record<string, string> = {}) {
  return runCli(['serve', '--host', '127.0.0.1', '--port', '0', '--data', folder(), ...args], { ...CLEAN, ...env }, 20_000)
}

async function access(httpUrl: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${httpUrl}/api/access/${path}`)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('an explicitly empty secret is refused, never run open', () => {
  const cases: Array<{ title: string; args: string[]; env?: Record<string, string>; names: string }> = [
    { title: 'AUTH_SECRET= (set, empty)', args: [], env: { AUTH_SECRET: '' }, names: 'AUTH_SECRET' },
    { title: "--auth-secret ''", args: ['--auth-secret', ''], names: '--auth-secret' },
    { title: '--auth-secret=', args: ['--auth-secret='], names: '--auth-secret' },
    { title: 'METRICS_TOKEN= (set, empty)', args: [], env: { METRICS_TOKEN: '' }, names: 'METRICS_TOKEN' }
  ]
  it.each(cases)('$title exits 2 naming it', async ({ args, env, names }) => {
    const result = await serve(args, env)
    expect(result.code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(2)
    expect(result.stderr).toContain(names)
    expect(result.stderr).toMatch(/empty/)
    expect(result.stdout).not.toContain('listening')
  })
})

describe('--auth-secret-file', () => {
  it('reads the secret (one trailing newline ignored): token mode, on the listening line too; the flag wins over AUTH_SECRET', async () => {
    const path = file(`${SECRET}\n`)
    // The flag wins over the other way's variable, as every flag wins over its environment.
    const server = await startServer({ dataDir: folder(), args: ['--auth-secret-file', path], env: { ...CLEAN, AUTH_SECRET: 'a-different-secret-0123456789' } })
    try {
      const listening = server.logs.find((line) => line.msg === 'listening')!
      expect(listening.auth).toBe('token')
      expect(server.proc.spawnargs.join(' ')).not.toContain(SECRET)
      expect((await access(server.httpUrl, 'any/doc')).status).toBe(401)
      const granted = await access(server.httpUrl, `any/doc?token=${await signToken(SECRET, { doc: 'any/doc', access: 'write', expiresInSeconds: 60 })}`)
      expect(granted).toEqual({ status: 200, body: { document: 'any/doc', access: 'write' } })
      expect(server.stderr()).not.toMatch(/OPEN/)
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0)
    }
  })

  it('AUTH_SECRET_FILE works the same, and a Windows line end is not part of the secret either', async () => {
    const path = file(`${SECRET}\r\n`)
    const server = await startServer({ dataDir: folder(), env: { ...CLEAN, AUTH_SECRET_FILE: path } })
    try {
      const jwt = await signToken(SECRET, { doc: 'notes', access: 'read', expiresInSeconds: 60 })
      expect(await access(server.httpUrl, `notes?token=${jwt}`)).toEqual({ status: 200, body: { document: 'notes', access: 'read' } })
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0)
    }
  })

  it('mistakes exit 2 naming the flag (and the path), never echoing the secret', async () => {
    const missing = join(folder(), 'no-such-file')
    const cases: Array<{ what: string; args: string[]; env?: Record<string, string>; expect: string[] }> = [
      { what: 'unreadable file', args: ['--auth-secret-file', missing], expect: ['--auth-secret-file', missing] },
      { what: 'a folder', args: ['--auth-secret-file', folder()], expect: ['--auth-secret-file'] },
      { what: 'empty file', args: ['--auth-secret-file', file('')], expect: ['--auth-secret-file', 'empty'] },
      { what: 'only a newline', args: ['--auth-secret-file', file('\n')], expect: ['--auth-secret-file', 'empty'] },
      { what: 'short secret', args: ['--auth-secret-file', file('fifteen-chars!!\n')], expect: ['--auth-secret-file', '16'] },
      { what: 'both flags', args: ['--auth-secret', SECRET, '--auth-secret-file', file(SECRET)], expect: ['--auth-secret', '--auth-secret-file'] },
      { what: 'both variables', args: [], env: { AUTH_SECRET: SECRET, AUTH_SECRET_FILE: file(SECRET) }, expect: ['AUTH_SECRET', 'AUTH_SECRET_FILE'] },
      { what: 'unreadable AUTH_SECRET_FILE', args: [], env: { AUTH_SECRET_FILE: missing }, expect: ['AUTH_SECRET_FILE', missing] }
    ]
    for (const c of cases) {
      const result = await serve(c.args, c.env)
      expect(result.code, `${c.what}: ${result.stderr}`).toBe(2)
      for (const text of c.expect) expect(result.stderr, c.what).toContain(text)
      expect(result.stderr, c.what).not.toContain(SECRET)
    }
  })
})

describe('the mode is said at start', () => {
  it('open: "auth":"open" on the listening line and a warning on stderr (not only in the log), even on loopback', async () => {
    const server = await startServer({ dataDir: folder(), env: CLEAN })
    try {
      expect(server.logs.find((line) => line.msg === 'listening')!.auth).toBe('open')
      // Written just after the listening line, on another pipe: it may arrive a moment later.
      await waitFor(() => /warning: running OPEN/.test(server.stderr()), 'the OPEN warning on stderr')
      expect((await access(server.httpUrl, 'any/doc')).body.access).toBe('write')
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0)
    }
  })
})

describe('quire token --secret-file', () => {
  it('signs with the secret in the file; --secret with --secret-file exits 2', async () => {
    const path = file(`${SECRET}\n`)
    const made = await runCli(['token', '--secret-file', path, '--doc', 'notes', '--access', 'write'], CLEAN)
    expect(made.code, made.stderr).toBe(0)
    expect((await verifyToken(SECRET, made.stdout.trim())).doc).toBe('notes')
    const fromEnv = await runCli(['token', '--doc', 'notes', '--access', 'read'], { ...CLEAN, AUTH_SECRET_FILE: path })
    expect(fromEnv.code, fromEnv.stderr).toBe(0)
    expect((await verifyToken(SECRET, fromEnv.stdout.trim())).access).toBe('read')
    const both = await runCli(['token', '--secret', SECRET, '--secret-file', path, '--doc', 'notes', '--access', 'write'], CLEAN)
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('--secret-file')
    const missing = await runCli(['token', '--secret-file', join(folder(), 'nope'), '--doc', 'notes', '--access', 'write'], CLEAN)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--secret-file')
  })
})
