/**
 * The four servers, each started as its own process on a loopback port (pinned to the server
 * core when taskset is available), with the probe preloaded for CPU, memory and event-loop delay.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from '@quire/testkit'
import { freePort, pinning, sleep } from './util.js'
import type { Dialect } from './wire.js'

export type ServerName = 'quire' | 'classic' | 'hocuspocus' | 'relay'
export const SERVER_NAMES: readonly ServerName[] = ['quire', 'classic', 'hocuspocus', 'relay']

export interface ServerSpec {
  name: ServerName
  /** How the table names it. */
  label: string
  dialect: Dialect
  /** Stores documents (the relay does not). */
  persistent: boolean
}

export const SERVERS: Record<ServerName, ServerSpec> = {
  quire: { name: 'quire', label: 'Quire', dialect: 'y', persistent: true },
  classic: { name: 'classic', label: 'y-websocket 2.1.0 + LevelDB', dialect: 'y', persistent: true },
  hocuspocus: { name: 'hocuspocus', label: 'Hocuspocus 4.7 + classic-level', dialect: 'hp', persistent: true },
  relay: { name: 'relay', label: 'bare ws relay', dialect: 'y', persistent: false }
}

/**
 * Quire holds each connection to 2,000 messages/s by default (bursts of 20,000): a faster sender is
 * slowed (its socket is read more slowly), never closed. W2's flat-out case measures how many
 * edits a server can relay, which no peer limits per connection, so the comparison runs with the
 * limit off; every other workload stays under it. Every other setting is the default (clients
 * connect from loopback addresses of their own, so the per-address connection limit sees many people).
 */
export const QUIRE_BENCH_FLAGS = ['--rate-limit', '0']

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))

/** Paths of the programs started. */
export const PATHS = {
  probe: join(here, 'probe.js'),
  relay: join(here, 'servers', 'relay.js'),
  hocuspocus: join(here, 'servers', 'hocuspocus.js'),
  classic: join(dirname(require.resolve('y-websocket/package.json')), 'bin', 'server.cjs'),
  quire: join(packageRoot('@quire/sync-server'), 'bin', 'quire.js')
}

/** The folder of an installed package (found from its entry point, whatever its exports allow). */
export function packageRoot(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`package.json of ${name} not found`)
    dir = parent
  }
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(packageRoot(name), 'package.json'), 'utf8')) as { version: string }).version
}

export interface ProbeReply {
  cpuMs: number
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
  heapTotal: number
  /** Resident bytes of V8's heap spaces, and of the young generation alone. */
  v8Committed: number
  newSpace: number
  /** From /proc/<pid>/smaps_rollup (NaN where there is none). */
  anonymous: number
  privateDirty: number
  delayP50Ms: number
  delayP99Ms: number
  delayMaxMs: number
}

export interface StartOptions {
  /** Reuse a data folder (a restart); default: a fresh one. */
  dataDir?: string
  /** Reuse a port (a restart); default: a free one. */
  port?: number
  /** Write a V8 CPU profile into this folder when the process exits. */
  cpuProfDir?: string
  /** More flags for Quire (the cluster bench's `--redis URL`). */
  quireArgs?: string[]
}

/** A fresh, empty data folder under the OS temp dir. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `quire-bench-${prefix}-`))
}

export class ServerProcess {
  private nextProbe = 1
  private readonly pending = new Map<number, (reply: ProbeReply) => void>()
  private output = ''
  readonly exited: Promise<number | string>
  exitCode: number | string | undefined

  private constructor(
    readonly spec: ServerSpec,
    readonly proc: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    /** performance.now() when the process was spawned. */
    readonly spawnedAt: number
  ) {
    proc.stdout?.on('data', (chunk: Buffer) => this.keep(chunk))
    proc.stderr?.on('data', (chunk: Buffer) => this.keep(chunk))
    proc.on('message', (message: ProbeReply & { probe: number }) => {
      const resolve = this.pending.get(message.probe)
      this.pending.delete(message.probe)
      resolve?.(message)
    })
    this.exited = new Promise((resolve) =>
      proc.on('exit', (code, signal) => {
        this.exitCode = code ?? signal ?? -1
        resolve(this.exitCode)
      })
    )
    proc.on('error', () => {})
  }

  get baseUrl(): string {
    return `ws://127.0.0.1:${this.port}`
  }

  /** performance.now() when the port first accepted a connection. */
  listeningAt = 0

  static async start(spec: ServerSpec, options: StartOptions = {}): Promise<ServerProcess> {
    const port = options.port ?? (await freePort())
    const dataDir = options.dataDir ?? tempDir(spec.name)
    mkdirSync(dataDir, { recursive: true })
    const nodeArgs = ['--expose-gc', '--import', PATHS.probe]
    if (options.cpuProfDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfDir)
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' }
    let script: string[]
    switch (spec.name) {
      case 'quire':
        script = [
          PATHS.quire,
          'serve',
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--data',
          dataDir,
          '--log-level',
          'warn',
          '--web-dir',
          join(dataDir, 'no-web-app'),
          ...QUIRE_BENCH_FLAGS,
          ...(options.quireArgs ?? [])
        ]
        break
      case 'classic':
        script = [PATHS.classic]
        Object.assign(env, { HOST: '127.0.0.1', PORT: String(port), YPERSISTENCE: dataDir })
        break
      case 'hocuspocus':
        script = [PATHS.hocuspocus, String(port), dataDir]
        break
      case 'relay':
        script = [PATHS.relay, String(port)]
        break
    }
    // For experiments with V8 flags on Quire alone (e.g. BENCH_QUIRE_NODE_ARGS="--max-semi-space-size=4").
    if (spec.name === 'quire') nodeArgs.push(...(process.env.BENCH_QUIRE_NODE_ARGS ?? '').split(' ').filter(Boolean))
    const argv = [...nodeArgs, ...script]
    const [command, args] = pinning.enabled ? ['taskset', ['-c', String(pinning.serverCore), process.execPath, ...argv]] : [process.execPath, argv]
    const spawnedAt = performance.now()
    const proc = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    const server = new ServerProcess(spec, proc, port, dataDir, spawnedAt)
    running.add(server)
    void server.exited.then(() => running.delete(server))
    try {
      await waitFor(async () => server.exitCode !== undefined || (await canConnect(port)), `${spec.name} to listen on ${port}`, 30_000, 5)
    } catch (error) {
      proc.kill('SIGKILL')
      throw error
    }
    if (server.exitCode !== undefined) throw new Error(`${spec.name} exited with ${server.exitCode} before listening:\n${server.output}`)
    server.listeningAt = performance.now()
    return server
  }

  /** Ask the probe inside the server for its numbers. */
  probe(options: { gc?: boolean | 'reduce'; resetDelay?: boolean } = {}): Promise<ProbeReply> {
    const id = this.nextProbe++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${this.spec.name} did not answer the probe`))
      }, 30_000)
      this.pending.set(id, (reply) => {
        clearTimeout(timer)
        resolve(reply)
      })
      this.proc.send({ probe: id, ...options })
    })
  }

  /** Wait until the server has used less than 4% of a core for two 250 ms windows in a row. */
  async quiesce(timeoutMs = 120_000): Promise<void> {
    const deadline = performance.now() + timeoutMs
    let last = (await this.probe()).cpuMs
    let calm = 0
    while (calm < 2) {
      if (performance.now() > deadline) throw new Error(`${this.spec.name} stayed busy for ${timeoutMs} ms`)
      await sleep(250)
      const now = (await this.probe()).cpuMs
      calm = now - last < 10 ? calm + 1 : 0
      last = now
    }
  }

  /** SIGTERM, as an operator stops a server; SIGKILL if it has not exited in 30 s. */
  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return
    this.proc.kill('SIGTERM')
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30_000)
    await this.exited
    clearTimeout(timer)
  }

  /** SIGKILL: a crash. */
  async kill(): Promise<void> {
    if (this.exitCode !== undefined) return
    this.proc.kill('SIGKILL')
    await this.exited
  }

  /** The last output lines, for error messages. */
  tail(): string {
    return this.output
  }

  private keep(chunk: Buffer): void {
    this.output = (this.output + chunk.toString()).slice(-4000)
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Every server process still running, to be killed if the harness itself stops. */
export const running = new Set<ServerProcess>()
