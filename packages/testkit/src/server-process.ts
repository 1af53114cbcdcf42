/**
 * The real server, as operators run it: `node bin/quire.js serve` in its own process on a free
 * loopback port, with a real LevelDB folder.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from './wait.js'

/** The `quire` command of the sync-server package in this repository. */
export const BIN = fileURLToPath(new URL('../../sync-server/bin/quire.js', import.meta.url))

/** A fresh, empty data folder. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'quire-test-'))
}

/** A server process under test. */
export interface ServerProcess {
  proc: ChildProcess
  port: number
  /** ws://127.0.0.1:PORT */
  wsUrl: string
  /** http://127.0.0.1:PORT */
  httpUrl: string
  dataDir: string
  /** Every stdout line parsed as JSON (pino), in order. */
  logs: Array<Record<string, unknown>>
  stderr(): string
  /** Resolves with the exit code (or signal name) once the process ends. */
  exited: Promise<number | string>
  /** Send a signal and wait for the exit. */
  kill(signal: NodeJS.Signals): Promise<number | string>
}

/**
 * Run `quire` with `args` to completion; for CLI error tests. With `timeoutMs`, a process still
 * running then (a server that should have refused to start) is killed and reports code null.
 */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (chunk) => (stdout += chunk))
    proc.stderr.on('data', (chunk) => (stderr += chunk))
    proc.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Start `quire serve`; resolves once it logs that it is listening. */
export async function startServer(options: { dataDir?: string; port?: number; args?: string[]; env?: Record<string, string> } = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? tempDataDir()
  const args = [
    BIN,
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    String(options.port ?? 0),
    '--data',
    dataDir,
    '--web-dir',
    join(dataDir, 'no-web-app'),
    ...(options.args ?? [])
  ]
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: Array<Record<string, unknown>> = []
  let stderr = ''
  let buffered = ''
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line))
      } catch {
        logs.push({ msg: line })
      }
    }
  })
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  let exitedEarly: number | string | undefined
  void exited.then((code) => (exitedEarly = code))
  await waitFor(() => exitedEarly !== undefined || logs.some((line) => line.msg === 'listening'), 'the server to listen', 30_000)
  const listening = logs.find((line) => line.msg === 'listening')
  if (!listening) throw new Error(`server exited with ${exitedEarly} before listening:\n${stderr}`)
  const port = Number(listening.port)
  return {
    proc,
    port,
    wsUrl: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    dataDir,
    logs,
    stderr: () => stderr,
    exited,
    kill(signal) {
      proc.kill(signal)
      return exited
    }
  }
}

/** Read a metric's value from GET /metrics (undefined when absent). */
export async function readMetric(httpUrl: string, name: string): Promise<number | undefined> {
  const body = await (await fetch(`${httpUrl}/metrics`)).text()
  const line = body.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}
