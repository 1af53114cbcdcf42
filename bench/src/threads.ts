/**
 * Per-thread accounting of a server process from /proc (the `--threads` option): CPU time, time
 * spent runnable but waiting for a core, and context switches of every thread, and what else ran
 * on the server's core. It answers whether the event loop competes for its core with the
 * process's own background threads (LevelDB's compaction thread, libuv's pool, V8's workers) or
 * with other processes, which is what a latency tail on a one-core server is made of.
 * Linux only; elsewhere every reading is empty.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerProcess } from './servers.js'
import { log, pinning } from './util.js'

/** One thread at one moment. Times in ms; `waitMs` is time runnable but not running. */
export interface ThreadReading {
  tid: number
  comm: string
  /** When the thread started, in ms after the process started. */
  startMs: number
  cpuMs: number
  waitMs: number
  voluntary: number
  involuntary: number
}

/** A process's threads and its core's busy time at one moment. */
export interface ThreadSnapshot {
  at: number
  threads: Map<number, ThreadReading>
  /** Busy ms of each core being watched, from /proc/stat. */
  coreBusyMs: number
}

const TICK_MS = 10 // USER_HZ is 100 on every Linux the bench runs on

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function readThread(pid: number, tid: number, processStart: number): ThreadReading | undefined {
  const dir = join('/proc', String(pid), 'task', String(tid))
  const stat = readText(join(dir, 'stat'))
  const status = readText(join(dir, 'status'))
  if (!stat || !status) return undefined
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
  // Fields after "(comm) ": state is field 3, utime 14, stime 15, starttime 22.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = (field: number) => Number(rest[field - 3])
  // schedstat: ns on the CPU, ns waiting on a run queue, slices; finer than the 10 ms ticks.
  const sched = readText(join(dir, 'schedstat'))?.trim().split(/\s+/).map(Number)
  const switches = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN)
  return {
    tid,
    comm,
    startMs: (ticks(22) - processStart) * TICK_MS,
    cpuMs: sched ? sched[0]! / 1e6 : (ticks(14) + ticks(15)) * TICK_MS,
    waitMs: sched ? sched[1]! / 1e6 : Number.NaN,
    voluntary: switches('voluntary_ctxt_switches'),
    involuntary: switches('nonvoluntary_ctxt_switches')
  }
}

/** Busy ms (everything but idle and iowait) of the given cores, from /proc/stat. */
function coreBusyMs(cores: number[]): number {
  const lines = readText('/proc/stat')?.split('\n') ?? []
  let busy = 0
  for (const core of cores) {
    const fields = lines
      .find((line) => line.startsWith(`cpu${core} `))
      ?.trim()
      .split(/\s+/)
      .slice(1)
      .map(Number)
    if (!fields) return Number.NaN
    busy += fields.reduce((a, b) => a + b, 0) - (fields[3] ?? 0) - (fields[4] ?? 0)
  }
  return busy * TICK_MS
}

/** Every thread of `pid` now, and the busy time of `cores` (the cores the process is pinned to). */
export function threadSnapshot(pid: number, cores: number[]): ThreadSnapshot {
  const threads = new Map<number, ThreadReading>()
  const stat = readText(join('/proc', String(pid), 'stat'))
  const taskDir = join('/proc', String(pid), 'task')
  if (stat && existsSync(taskDir)) {
    const processStart = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3])
    for (const entry of readdirSync(taskDir)) {
      const reading = readThread(pid, Number(entry), processStart)
      if (reading) threads.set(reading.tid, reading)
    }
  }
  return { at: performance.now(), threads, coreBusyMs: coreBusyMs(cores) }
}

/** What one thread did between two snapshots. */
export interface ThreadUse extends ThreadReading {
  /** Main thread, a thread present when the process was listening, or one started later. */
  role: 'main' | 'early' | 'late'
}

/** What the process's threads and its core did between two snapshots. */
export interface ThreadReport {
  ms: number
  threads: ThreadUse[]
  /** Busy time of the watched cores not spent in this process (other processes, interrupts). */
  foreignMs: number
}

/**
 * The difference between two snapshots of `pid`. `listeningMs`: how long after its start the
 * process was listening; threads started later are marked `late` (LevelDB starts its one
 * background thread on its first memtable flush or compaction).
 */
export function threadReport(pid: number, before: ThreadSnapshot, after: ThreadSnapshot, listeningMs: number): ThreadReport {
  const threads: ThreadUse[] = []
  for (const [tid, end] of after.threads) {
    const start = before.threads.get(tid)
    const role = tid === pid ? 'main' : end.startMs <= listeningMs ? 'early' : 'late'
    threads.push({
      ...end,
      role,
      cpuMs: end.cpuMs - (start?.cpuMs ?? 0),
      waitMs: end.waitMs - (start?.waitMs ?? 0),
      voluntary: end.voluntary - (start?.voluntary ?? 0),
      involuntary: end.involuntary - (start?.involuntary ?? 0)
    })
  }
  const own = threads.reduce((sum, t) => sum + t.cpuMs, 0)
  return { ms: after.at - before.at, threads, foreignMs: Math.max(0, after.coreBusyMs - before.coreBusyMs - own) }
}

/** The report as a few lines: main thread, each other thread that ran, the core's other users. */
export function describeThreads(report: ThreadReport): string[] {
  const pct = (ms: number) => `${((ms / report.ms) * 100).toFixed(1)}%`
  const main = report.threads.find((t) => t.role === 'main')
  const lines: string[] = []
  if (main)
    lines.push(
      `main: cpu ${pct(main.cpuMs)}, waiting for the core ${main.waitMs.toFixed(1)} ms, switches ${main.voluntary} voluntary / ${main.involuntary} involuntary`
    )
  const others = report.threads.filter((t) => t.role !== 'main' && (t.cpuMs >= 0.5 || t.involuntary > 0)).sort((a, b) => b.cpuMs - a.cpuMs)
  for (const t of others)
    lines.push(
      `${t.role} thread ${t.tid} (${t.comm}, started at ${t.startMs} ms): cpu ${pct(t.cpuMs)} (${t.cpuMs.toFixed(1)} ms), waited ${t.waitMs.toFixed(1)} ms, switches ${t.voluntary}/${t.involuntary}`
    )
  lines.push(`other processes on the core: ${pct(report.foreignMs)} (${report.foreignMs.toFixed(0)} ms of ${report.ms.toFixed(0)} ms)`)
  return lines
}

/** What LevelDB's LOG in `folder` says happened: memtable flushes, compactions, write stalls. */
export interface LevelDbLog {
  flushes: number
  compactions: number
  /** "Compacting N@0 + M@1": the largest N seen, level-0 files at a compaction's start. */
  maxLevel0Files: number
  /** Writers that waited for a full memtable or for level 0 ("...; waiting..."). */
  stalls: number
  compactedBytes: number
}

/** Read LevelDB's LOG (and LOG.old) in `folder`; undefined where there is none. */
export function readLevelDbLog(folder: string): LevelDbLog | undefined {
  const text = ['LOG.old', 'LOG'].map((name) => readText(join(folder, name)) ?? '').join('\n')
  if (!text.trim()) return undefined
  const log: LevelDbLog = { flushes: 0, compactions: 0, maxLevel0Files: 0, stalls: 0, compactedBytes: 0 }
  for (const line of text.split('\n')) {
    if (/Level-0 table #\d+: started/.test(line)) log.flushes++
    const compacting = /Compacting (\d+)@(\d+) \+ (\d+)@\d+ files/.exec(line)
    if (compacting) {
      log.compactions++
      if (compacting[2] === '0') log.maxLevel0Files = Math.max(log.maxLevel0Files, Number(compacting[1]))
    }
    if (/waiting\.\.\./.test(line)) log.stalls++
    const compacted = /Compacted .* => (\d+) bytes/.exec(line)
    if (compacted) log.compactedBytes += Number(compacted[1])
  }
  return log
}

/**
 * Start watching the server's threads and its LevelDB LOG; the returned function ends the watch,
 * logs what each thread did and returns the figures the table gets (per second of the replay).
 */
export function watchThreads(server: ServerProcess): () => Array<[string, string, number]> {
  const pid = server.proc.pid ?? 0
  const cores = pinning.enabled ? [pinning.serverCore] : []
  const listeningMs = server.listeningAt - server.spawnedAt
  const start = threadSnapshot(pid, cores)
  const logBefore = readLevelDbLog(server.dataDir)
  return () => {
    const report = threadReport(pid, start, threadSnapshot(pid, cores), listeningMs)
    const logAfter = readLevelDbLog(server.dataDir)
    const perSecond = (value: number) => (value / report.ms) * 1000
    const main = report.threads.find((t) => t.role === 'main')
    const others = report.threads.filter((t) => t.role !== 'main')
    const level = logAfter && levelDbDelta(logBefore, logAfter)
    log(`${server.spec.name} threads over ${report.ms.toFixed(0)} ms:`)
    for (const line of describeThreads(report)) log(`  ${line}`)
    if (level)
      log(
        `  LevelDB LOG: ${level.flushes} memtable flushes, ${level.compactions} compactions (level 0 held up to ${level.maxLevel0Files} files), ${level.stalls} writes waited`
      )
    return [
      ['main thread CPU', '% core', perSecond(main?.cpuMs ?? Number.NaN) / 10],
      ['main thread runnable, not running', 'ms/s', perSecond(main?.waitMs ?? Number.NaN)],
      ['main thread involuntary switches', '/s', perSecond(main?.involuntary ?? Number.NaN)],
      ['other threads CPU', '% core', perSecond(others.reduce((sum, t) => sum + t.cpuMs, 0)) / 10],
      ['other processes on the server core', '% core', cores.length ? perSecond(report.foreignMs) / 10 : Number.NaN],
      ['LevelDB memtable flushes', 'count', level?.flushes ?? Number.NaN],
      ['LevelDB compactions', 'count', level?.compactions ?? Number.NaN],
      ['LevelDB writes that waited', 'count', level?.stalls ?? Number.NaN]
    ]
  }
}

function levelDbDelta(before: LevelDbLog | undefined, after: LevelDbLog): LevelDbLog {
  return {
    flushes: after.flushes - (before?.flushes ?? 0),
    compactions: after.compactions - (before?.compactions ?? 0),
    maxLevel0Files: after.maxLevel0Files,
    stalls: after.stalls - (before?.stalls ?? 0),
    compactedBytes: after.compactedBytes - (before?.compactedBytes ?? 0)
  }
}
