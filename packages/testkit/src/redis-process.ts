/**
 * A real `redis-server` for the cluster tests: its own process on a free loopback port, with a
 * temporary directory, configured as cluster mode requires (AOF on, appendfsync always,
 * noeviction), stopped by its pid. Tests that need one fail loudly when redis-server is missing:
 * `pnpm test` installs it (scripts/ensure-redis.sh).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './wait.js'

/** The redis-server binary: QUIRE_REDIS_SERVER, else Debian's. */
export const REDIS_SERVER = process.env.QUIRE_REDIS_SERVER ?? '/usr/bin/redis-server'

/** A redis-server process under test. */
export interface RedisProcess {
  proc: ChildProcess
  port: number
  /** redis://127.0.0.1:PORT */
  url: string
  /** Its working directory (AOF and RDB files). */
  dir: string
  /** Everything it logged. */
  output(): string
  /** Resolves with the exit code (or signal name) once it ends. */
  exited: Promise<number | string>
  /** Send a signal and wait for the exit. */
  kill(signal: NodeJS.Signals): Promise<number | string>
}

/** A free TCP port on 127.0.0.1 (redis-server cannot pick one itself: port 0 turns TCP off). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/**
 * Start redis-server; resolves once it accepts connections. `dir` and `port` restart one on the
 * data of a stopped one; `args` are more `--setting value` pairs (they win over the defaults).
 */
export async function startRedis(options: { dir?: string; port?: number; args?: string[] } = {}): Promise<RedisProcess> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} not found: the cluster tests need redis-server (run scripts/ensure-redis.sh, or set QUIRE_REDIS_SERVER)`)
  }
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'quire-redis-'))
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort())
    try {
      return await spawnRedis(dir, port, options.args ?? [])
    } catch (error) {
      // Another process took the port between the probe and the bind: try another one.
      if (options.port !== undefined || attempt >= 3 || !String(error).includes('Address already in use')) throw error
    }
  }
}

async function spawnRedis(dir: string, port: number, args: string[]): Promise<RedisProcess> {
  const settings = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
    '--daemonize',
    'no',
    '--logfile',
    '',
    ...args
  ]
  return spawnUntil(settings, dir, port, 'Ready to accept connections')
}

// Run redis-server with `args`; resolves once it has logged `ready`.
async function spawnUntil(args: string[], dir: string, port: number, ready: string): Promise<RedisProcess> {
  const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  let ended: number | string | undefined
  void exited.then((code) => (ended = code))
  await waitFor(() => ended !== undefined || output.includes(ready), `redis-server on port ${port} to start`, 30_000)
  if (ended !== undefined) throw new Error(`redis-server exited with ${ended} before accepting connections:\n${output}`)
  return {
    proc,
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    output: () => output,
    exited,
    kill(signal) {
      proc.kill(signal)
      return exited
    }
  }
}

/** A Redis Sentinel under test watching one primary: the URL Quire takes for it. */
export interface SentinelProcess extends RedisProcess {
  /** The name the primary is monitored under. */
  master: string
  /** redis-sentinel://127.0.0.1:PORT/<master> */
  sentinelUrl: string
}

/**
 * Start a Redis Sentinel (redis-server --sentinel) on a free loopback port, in its own temporary
 * directory (Sentinel rewrites its config file there), monitoring the primary on `primaryPort` as
 * `master` with a quorum of one; resolves once it monitors it. Stop it with kill(), by pid.
 */
export async function startSentinel(primaryPort: number, master = 'quire'): Promise<SentinelProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'quire-sentinel-'))
  const port = await freePort()
  const conf = join(dir, 'sentinel.conf')
  writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${master} 127.0.0.1 ${primaryPort} 1\n`)
  const sentinel = await spawnUntil([conf, '--sentinel', '--daemonize', 'no', '--logfile', ''], dir, port, `+monitor master ${master}`)
  return { ...sentinel, master, sentinelUrl: `redis-sentinel://127.0.0.1:${port}/${master}` }
}

/** Run one command with redis-cli against `port`; returns its output (throws if redis-cli fails). */
export function redisCli(port: number, ...command: string[]): string {
  const result = spawnSync(REDIS_SERVER.replace(/redis-server$/, 'redis-cli'), ['-h', '127.0.0.1', '-p', String(port), ...command], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`redis-cli ${command.join(' ')} failed: ${result.stderr || result.error}`)
  return result.stdout
}

/** A Redis Cluster under test: its nodes and the URL Quire takes for it. */
export interface RedisClusterProcess {
  nodes: RedisProcess[]
  /** redis-cluster://127.0.0.1:P1,127.0.0.1:P2,… */
  url: string
  /** Stop every node (SIGKILL) and remove their directories. */
  stop(): Promise<void>
}

/**
 * Start a Redis Cluster of `count` primaries (no replicas) on loopback, each node configured as
 * {@link startRedis} does; resolves once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(count = 3): Promise<RedisClusterProcess> {
  const nodes: RedisProcess[] = []
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.kill('SIGKILL')))
    for (const node of nodes) rmSync(node.dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(await startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'] }))
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`)
    redisCli(nodes[0]!.port, '--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes')
    await waitFor(() => nodes.every((node) => redisCli(node.port, 'CLUSTER', 'INFO').includes('cluster_state:ok')), 'the Redis Cluster to be ok', 30_000, 100)
    return { nodes, url: `redis-cluster://${addresses.join(',')}`, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
