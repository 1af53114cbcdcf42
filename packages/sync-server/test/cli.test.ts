/**
 * The `quire` command as operators run it (the built bin, in its own process): help, argument
 * errors (exit 2, naming the flag or variable), start-up failures (exit 1, saying why), and clean
 * shutdown on SIGTERM/SIGINT (sockets closed with 1001, writes flushed, exit 0).
 */
import { spawn } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readFrame, writeFrame } from '@quire/protocol'
import { BIN, connect, type ServerProcess, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { serveFlags } from '../src/cli/flags.js'

const folders: string[] = []
function folder(): string {
  const dir = tempDataDir()
  folders.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

/** Run `quire …` to completion; killed (and reported as such) if it is still running after `timeoutMs`. */
function cli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: Record<string, string | undefined> = { ...process.env, ...env }
    // The variables under test must come from `env` only.
    for (const name of serveFlags.map((spec) => spec.env)) if (!(name in env)) delete childEnv[name]
    const proc = spawn(process.execPath, [BIN, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (chunk) => (stdout += chunk))
    proc.stderr.on('data', (chunk) => (stderr += chunk))
    proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

/** A raw WebSocket on `name` that has joined the document (the server's sync step 1 arrived). */
async function joinedSocket(wsUrl: string, name: string): Promise<{ ws: WebSocket; frames: Uint8Array[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`${wsUrl}/${name}`)
  const frames: Uint8Array[] = []
  ws.on('message', (data: Buffer) => frames.push(new Uint8Array(data)))
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  await waitFor(() => frames.some((frame) => readFrame(frame).type === 'sync-step1'), `the server's sync step 1 on "${name}"`)
  return { ws, frames, closed }
}

describe('help and usage', () => {
  it('serve --help exits 0 and lists every flag with its environment variable', async () => {
    const { code, stdout, stderr } = await cli(['serve', '--help'])
    expect(code).toBe(0)
    expect(stderr).toBe('')
    expect(serveFlags.length).toBeGreaterThanOrEqual(10)
    for (const spec of serveFlags) {
      expect(stdout).toContain(`--${spec.flag}`)
      expect(stdout).toContain(`env ${spec.env}`)
    }
    for (const flag of ['--port', '--host', '--data', '--fsync', '--log-level', '--help']) expect(stdout).toContain(flag)
  })

  it('-h and the top-level --help exit 0', async () => {
    const short = await cli(['serve', '-h'])
    expect(short.code).toBe(0)
    expect(short.stdout).toContain('--port')
    const top = await cli(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toContain('serve')
  })

  it('an unknown command exits 2 and names it', async () => {
    const { code, stderr } = await cli(['launch'])
    expect(code).toBe(2)
    expect(stderr).toContain('unknown command "launch"')
    expect(stderr).toContain('Usage')
  })

  it('no command at all exits 2', async () => {
    const { code, stderr } = await cli([])
    expect(code).toBe(2)
    expect(stderr).toContain('missing command')
  })

  it('an unknown flag exits 2 and names it', async () => {
    const { code, stderr } = await cli(['serve', '--data', folder(), '--colour', 'blue'])
    expect(code).toBe(2)
    expect(stderr).toContain('--colour')
  })

  it('a positional argument after serve exits 2', async () => {
    const { code, stderr } = await cli(['serve', '--data', folder(), 'extra'])
    expect(code).toBe(2)
    expect(stderr).toContain('extra')
  })
})

describe('bad flag and environment values exit 2 naming the flag or variable', () => {
  const cases: Array<{ title: string; args: string[]; env?: Record<string, string>; names: string[] }> = [
    { title: '--port abc', args: ['--port', 'abc'], names: ['--port', 'abc'] },
    { title: '--port 70000', args: ['--port', '70000'], names: ['--port', '70000'] },
    { title: '--port -1', args: ['--port=-1'], names: ['--port'] },
    { title: '--port 80.5', args: ['--port', '80.5'], names: ['--port'] },
    { title: '--log-level loud', args: ['--log-level', 'loud'], names: ['--log-level', 'loud'] },
    { title: '--max-message-bytes 5', args: ['--max-message-bytes', '5'], names: ['--max-message-bytes', '5'] },
    { title: '--ping-interval-ms 0', args: ['--ping-interval-ms', '0'], names: ['--ping-interval-ms'] },
    { title: '--fsync=maybe', args: ['--fsync=maybe'], names: ['--fsync'] },
    { title: '--host with an empty value', args: ['--host', ' '], names: ['--host'] },
    { title: 'PORT=abc', args: [], env: { PORT: 'abc' }, names: ['PORT', 'abc'] },
    { title: 'FSYNC=maybe', args: [], env: { FSYNC: 'maybe' }, names: ['FSYNC', 'maybe'] },
    { title: 'LOG_LEVEL=loud', args: [], env: { LOG_LEVEL: 'loud' }, names: ['LOG_LEVEL'] },
    { title: 'MAX_MESSAGE_BYTES=1e9', args: [], env: { MAX_MESSAGE_BYTES: '1e9' }, names: ['MAX_MESSAGE_BYTES'] }
  ]

  it.each(cases)('$title', async ({ args, env, names }) => {
    const { code, stdout, stderr } = await cli(['serve', '--data', folder(), ...args], env)
    expect(code, `stdout: ${stdout}\nstderr: ${stderr}`).toBe(2)
    for (const name of names) expect(stderr).toContain(name)
    expect(stdout).not.toContain('listening')
  })

  it('a flag wins over its environment variable, so a good flag hides a bad variable', async () => {
    // PORT=abc is ignored because --port is given; --log-level loud still fails, naming the flag.
    const { code, stderr } = await cli(['serve', '--data', folder(), '--port', '0', '--log-level', 'loud'], { PORT: 'abc' })
    expect(code).toBe(2)
    expect(stderr).toContain('--log-level')
    expect(stderr).not.toContain('PORT')
  })

  it('--data pointing at a file exits 2 and names --data', async () => {
    const file = join(folder(), 'not-a-folder.txt')
    writeFileSync(file, 'hello')
    const { code, stderr } = await cli(['serve', '--port', '0', '--data', file])
    expect(code).toBe(2)
    expect(stderr).toContain('--data')
    expect(stderr).toContain('not a folder')
  })
})

describe('start-up failures exit 1 and say why', () => {
  let first: ServerProcess | undefined
  afterAll(async () => {
    if (first) expect(await first.kill('SIGTERM')).toBe(0)
  })

  it('a port already in use exits 1 with "already in use", and the first server keeps running', async () => {
    first = await startServer({ dataDir: folder() })
    const { code, stderr } = await cli(['serve', '--host', '127.0.0.1', '--port', String(first.port), '--data', folder()])
    expect(code).toBe(1)
    expect(stderr).toContain('already in use')
    expect(stderr).toContain(String(first.port))
    expect((await fetch(`${first.httpUrl}/healthz`)).status).toBe(200)
  })

  it('a data folder held by a running server exits 1 saying it is in use, and the first server keeps running', async () => {
    first ??= await startServer({ dataDir: folder() })
    const { code, stderr } = await cli(['serve', '--host', '127.0.0.1', '--port', '0', '--data', first.dataDir])
    expect(code).toBe(1)
    expect(stderr).toMatch(/in use/)
    expect(stderr).toContain(first.dataDir)
    // The first server still owns its folder: a client can write and read there.
    const client = connect(first.wsUrl, 'still-mine')
    await client.synced()
    client.text.insert(0, 'ok')
    const reader = connect(first.wsUrl, 'still-mine')
    await waitFor(() => reader.text.toString() === 'ok', 'the first server to relay a write')
    client.destroy()
    reader.destroy()
  })
})

describe('shutdown', () => {
  it('SIGTERM with a connected client: the client sees 1001 and the process exits 0', async () => {
    const server = await startServer({ dataDir: folder() })
    const joined = await joinedSocket(server.wsUrl, 'sigterm-doc')
    const idle = new WebSocket(`${server.wsUrl}/other-doc`)
    const idleClosed = new Promise<number>((resolve) => idle.on('close', (code) => resolve(code)))
    await new Promise((resolve) => idle.once('open', resolve))
    const exit = server.kill('SIGTERM')
    const { code, reason } = await joined.closed
    expect(code).toBe(1001)
    expect(reason).toContain('shutting down')
    expect(await idleClosed).toBe(1001)
    expect(await exit).toBe(0)
    expect(server.logs.some((line) => line.msg === 'stopped')).toBe(true)
  })

  it('SIGINT exits 0 too, closing clients with 1001', async () => {
    const server = await startServer({ dataDir: folder() })
    const joined = await joinedSocket(server.wsUrl, 'sigint-doc')
    const exit = server.kill('SIGINT')
    expect((await joined.closed).code).toBe(1001)
    expect(await exit).toBe(0)
    expect(server.logs.some((line) => line.msg === 'shutting down' && line.signal === 'SIGINT')).toBe(true)
  })

  it('a write the server has received just before SIGTERM is there after a restart', async () => {
    const dataDir = folder()
    const server = await startServer({ dataDir })
    const joined = await joinedSocket(server.wsUrl, 'last-words')
    // 40 separate updates, then a query-awareness: its answer proves the server has read (and
    // applied, in order) every update before it; SIGTERM follows at once.
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    doc.on('update', (update: Uint8Array) => joined.ws.send(writeFrame({ type: 'sync-update', update })))
    for (let i = 0; i < 40; i++) text.insert(text.length, `line ${i}\n`)
    const answered = joined.frames.length
    joined.ws.send(writeFrame({ type: 'query-awareness' }))
    await waitFor(() => joined.frames.slice(answered).some((frame) => readFrame(frame).type === 'awareness'), 'the answer to query-awareness')
    expect(await server.kill('SIGTERM')).toBe(0)
    expect((await joined.closed).code).toBe(1001)

    const again = await startServer({ dataDir })
    const reader = connect(again.wsUrl, 'last-words')
    await reader.synced()
    expect(reader.text.toString()).toBe(text.toString())
    expect(reader.text.toString()).toContain('line 39\n')
    reader.destroy()
    expect(await again.kill('SIGTERM')).toBe(0)
  })
})
