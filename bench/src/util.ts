/** Small helpers shared by the harness: waiting, ports, statistics, formatting. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism } from 'node:os'

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A free loopback TCP port, found by listening on port 0 and closing again. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Percentile (0..100) of unsorted numbers, nearest-rank; NaN for none. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v))
  return finite.length === 0 ? Number.NaN : percentile(finite, 50)
}

/** CPU pinning with taskset, when the machine has it and at least two cores. */
export const pinning = (() => {
  let taskset = false
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' })
    taskset = true
  } catch {
    taskset = false
  }
  const cores = availableParallelism()
  const enabled = taskset && cores >= 2 && process.env.BENCH_NO_PIN !== '1'
  return { enabled, cores, serverCore: 0, loadCore: 1 }
})()

/** Pin this process (all its threads) to the load generator's core. */
export function pinSelf(): void {
  if (!pinning.enabled) return
  execFileSync('taskset', ['-a', '-pc', String(pinning.loadCore), String(process.pid)], { stdio: 'ignore' })
}

/** Format a number for the table: 3 significant digits, thousands kept whole. */
export function fmt(value: number | undefined, digits = 3): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  const abs = Math.abs(value)
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US')
  if (abs === 0) return '0'
  return Number(value.toPrecision(digits)).toString()
}

/** CPU time of this process in ms (user + system). */
export function ownCpuMs(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

/** Machine-wide and own (this process and its reaped children) CPU time, in clock ticks. */
export interface CpuSnapshot {
  busy: number
  total: number
  own: number
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    const total = fields.reduce((a, b) => a + b, 0)
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0)
    const self = readFileSync('/proc/self/stat', 'utf8')
    const rest = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number)
    const own = rest[11]! + rest[12]! + rest[13]! + rest[14]!
    return { busy: total - idle, total, own }
  } catch {
    return undefined
  }
}

/** Share (%) of the whole machine's CPU that other processes used between two snapshots. */
export function foreignLoad(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): number {
  if (!a || !b || b.total <= a.total) return Number.NaN
  return Math.max(0, ((b.busy - a.busy - (b.own - a.own)) / (b.total - a.total)) * 100)
}

let clientCount = 0

/**
 * A loopback source address for the next client socket: each simulated person connects from an
 * address of its own (127.0.0.2 to 127.0.0.251), as people do, so that per-address limits see
 * many clients rather than one machine running them all.
 */
export function nextClientAddress(): string {
  return `127.0.0.${2 + (clientCount++ % 250)}`
}
