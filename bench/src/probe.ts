/**
 * Preloaded into every server process (node --import): answers the harness over the IPC channel
 * with the process's CPU time, memory (after a full GC when asked) and event-loop delay, so every
 * server is measured the same way without touching its code.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'

interface ProbeRequest {
  probe: number
  gc?: boolean
  resetDelay?: boolean
}

// Samples every RESOLUTION ms; each sample is the time since the last one, so the delay is what exceeds it.
const RESOLUTION = 10
const delay = monitorEventLoopDelay({ resolution: RESOLUTION })
delay.enable()

if (process.send) {
  process.on('message', (message: ProbeRequest) => {
    if (typeof message !== 'object' || message === null || typeof message.probe !== 'number') return
    const gc = (globalThis as { gc?: () => void }).gc
    if (message.gc && gc) {
      gc()
      gc()
    }
    const cpu = process.cpuUsage()
    const memory = process.memoryUsage()
    const reply = {
      probe: message.probe,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
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
