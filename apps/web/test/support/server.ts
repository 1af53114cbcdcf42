/**
 * The real Quire server, as a child process serving the built web app from a temp data folder.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../node_modules/@quire/sync-server/bin/quire.js', import.meta.url))
const webDir = fileURLToPath(new URL('../../dist', import.meta.url))

/** A running server. */
export interface QuireServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  readonly dataDir: string
  /** SIGTERM, then wait for a clean exit. */
  stop(): Promise<void>
}

/** A fresh, empty data folder. */
export function freshDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'quire-web-test-'))
}

/** More `quire serve` flags, for example `['--auth-secret', secret]`. */
export interface ServerFlags {
  flags?: string[]
}

/** Start `quire serve` on `port` (0: any free one) with `dataDir`; resolves once it listens. */
export async function startServer(dataDir: string, port = 0, { flags = [] }: ServerFlags = {}): Promise<QuireServer> {
  for (const [path, what] of [
    [join(webDir, 'index.html'), 'the web app'],
    [fileURLToPath(new URL('../../node_modules/@quire/sync-server/dist/index.js', import.meta.url)), 'the sync server']
  ] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: build ${what} first (pnpm build at the repository root).`)
  }
  const child = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir, '--web-dir', webDir, ...flags], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const output: string[] = []
  child.stderr.on('data', (chunk) => output.push(String(chunk)))
  const listening = await new Promise<{ port: number; url: string }>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('the server did not report "listening" within 30 s')), 30_000)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${error.message}\n${output.join('').slice(-4000)}`))
    }
    child.once('exit', (code) => fail(new Error(`the server exited with code ${code} before listening`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(`${line}\n`)
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number; url?: string }
        if (entry.msg === 'listening' && typeof entry.port === 'number' && typeof entry.url === 'string') {
          clearTimeout(timer)
          child.removeAllListeners('exit')
          resolve({ port: entry.port, url: entry.url })
        }
      } catch {
        // Not a log line; kept in the output for failure messages.
      }
    })
  })
  return { ...listening, dataDir, stop: () => stopProcess(child, output) }
}

async function stopProcess(child: ChildProcess, output: string[]): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref())
  const result = await Promise.race([exited, timeout])
  if (result === 'timeout') {
    child.kill('SIGKILL')
    throw new Error(`the server did not exit within 20 s of SIGTERM\n${output.join('').slice(-4000)}`)
  }
  if (result !== 0) throw new Error(`the server exited with code ${result} after SIGTERM\n${output.join('').slice(-4000)}`)
}
