/**
 * Preloaded into every server process (node --import): answers the harness over the IPC channel
 * with the process's CPU time, memory (after a full GC when asked) and event-loop delay, so every
 * server is measured the same way without touching its code.
 */
import { readFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { getHeapSpaceStatistics } from 'node:v8'

interface ProbeRequest {
  probe: number
  /** true: two full GCs; 'reduce': V8's memory-reducing GC (what it runs before giving up on an allocation). */
  gc?: boolean | 'reduce'
  resetDelay?: boolean
}

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor?: 'regular' | 'last-resort' }) => void

/** Bytes of a field of /proc/self/smaps_rollup (kB there); NaN where there is none. */
function rollup(text: string | undefined, field: string): number {
  const match = text && new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
  return match ? Number(match[1]) * 1024 : Number.NaN
}

function readRollup(): string | undefined {
  try {
    return readFileSync('/proc/self/smaps_rollup', 'utf8')
  } catch {
    return undefined
  }
}

// Samples every RESOLUTION ms; each sample is the time since the last one, so the delay is what exceeds it.
const RESOLUTION = 10
const delay = monitorEventLoopDelay({ resolution: RESOLUTION })
delay.enable()

if (process.send) {
  process.on('message', (message: ProbeRequest) => {
    if (typeof message !== 'object' || message === null || typeof message.probe !== 'number') return
    const gc = (globalThis as { gc?: Gc }).gc
    if (message.gc === 'reduce' && gc) gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
    // Two: the second finishes the first's sweeping of array buffers, which `external` counts.
    if (message.gc && gc) {
      gc()
      gc()
    }
    const cpu = process.cpuUsage()
    const memory = process.memoryUsage()
    const spaces = getHeapSpaceStatistics()
    const smaps = readRollup()
    const reply = {
      probe: message.probe,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
      heapTotal: memory.heapTotal,
      // Resident pages of V8's heap, and of its young generation, which grows under load and stays.
      v8Committed: spaces.reduce((sum, space) => sum + space.physical_space_size, 0),
      newSpace: spaces.find((space) => space.space_name === 'new_space')?.physical_space_size ?? Number.NaN,
      anonymous: rollup(smaps, 'Anonymous'),
      privateDirty: rollup(smaps, 'Private_Dirty'),
      delayP50Ms: Math.max(0, delay.percentile(50) / 1e6 - RESOLUTION),
      delayP99Ms: Math.max(0, delay.percentile(99) / 1e6 - RESOLUTION),
      delayMaxMs: Math.max(0, delay.max / 1e6 - RESOLUTION)
    }
    if (message.resetDelay) delay.reset()
    process.send?.(reply)
  })
  // The channel must not keep a server alive that would otherwise exit.
  process.channel?.unref()
}
