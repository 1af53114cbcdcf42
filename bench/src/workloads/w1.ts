/**
 * W1 fan-out: one writer replays a prefix of the automerge-paper trace (a real Y.Doc, one
 * transaction per trace edit) at a fixed rate to N readers; writer-to-reader latency is measured
 * per edit that carries an insertion (deletions advance no clock a reader could see), and every
 * reader must end with exactly the writer's text.
 */

import { textAfter, waitFor } from '@quire/testkit'
import * as Y from 'yjs'
import type { ServerProcess } from '../servers.js'
import { describeThreads, type LevelDbLog, readLevelDbLog, threadReport, threadSnapshot } from '../threads.js'
import { ROOT } from '../updates.js'
import { log, ownCpuMs, percentile, pinning, sleep } from '../util.js'
import { clockAfter, WireClient } from '../wire.js'
import { clientId, closeAll, openClients, type RunContext } from './common.js'

const WRITER = clientId(0)

export async function runW1(server: ServerProcess, ctx: RunContext): Promise<void> {
  const { w1 } = ctx.config
  for (const rate of w1.rates) {
    for (const readers of w1.readers) {
      await fanOut(server, ctx, rate, readers, `${rate} ops/s, ${readers} readers`)
    }
  }
}

/**
 * One W1 case on a running server; also used as the warm-up. `readerUrls` (the cluster bench):
 * readers connect to these in turn instead of the writer's server.
 */
export async function fanOut(
  server: ServerProcess,
  ctx: RunContext,
  rate: number,
  readerCount: number,
  caseName: string | undefined,
  readerUrls: string[] = [server.baseUrl]
): Promise<void> {
  const { trace } = ctx
  const ops = Math.min(trace.txns.length, Math.round(rate * ctx.config.w1.seconds))
  const doc = `w1-${rate}-${readerCount}-r${ctx.rec.round}-${caseName ? 'm' : 'w'}`
  const dialect = server.spec.dialect
  const ydoc = new Y.Doc()
  ydoc.clientID = WRITER
  const ytext = ydoc.getText(ROOT)
  const writer = new WireClient({ baseUrl: server.baseUrl, doc, dialect, ydoc })
  ydoc.on('update', (update: Uint8Array) => writer.sendUpdate(update))
  await writer.opened
  if (server.spec.persistent) await waitFor(() => writer.synced, 'the writer to sync', 30_000)

  // Edits that advance the writer's clock: the clock after each, and when it was made.
  const opClock: number[] = []
  const opTime: number[] = []
  const warm = Math.floor(ops * ctx.config.w1.warmupFraction)
  const latencies: number[] = []
  const cursors = new Array<number>(readerCount).fill(0)
  const readers = await openClients(
    Array.from({ length: readerCount }, (_, r) => ({
      baseUrl: readerUrls[r % readerUrls.length]!,
      doc,
      dialect,
      keepUpdates: true,
      onUpdate: (update: Uint8Array) => {
        const clock = clockAfter(update, WRITER)
        let cursor = cursors[r]!
        if (cursor >= opClock.length || opClock[cursor]! > clock) return
        const now = performance.now()
        while (cursor < opClock.length && opClock[cursor]! <= clock) {
          if (cursor >= warm) latencies.push(now - opTime[cursor]!)
          cursor++
        }
        cursors[r] = cursor
      }
    })),
    true
  )

  // Replay at `rate`, by the clock: late edits are sent at once, not dropped.
  const before = { own: ownCpuMs(), server: await server.probe() }
  const watch = ctx.threads && caseName ? threadWatch(server) : undefined
  const started = performance.now()
  let next = 0
  let lastClock = 0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(ops, Math.floor(((performance.now() - started) * rate) / 1000) + 1)
      while (next < due) {
        const at = performance.now()
        ydoc.transact(() => {
          for (const [pos, del, ins] of trace.txns[next]!.patches) {
            if (del > 0) ytext.delete(pos, del)
            if (ins.length > 0) ytext.insert(pos, ins)
          }
        })
        const clock = Y.getState(ydoc.store, WRITER)
        if (clock > lastClock) {
          opClock.push(clock)
          opTime.push(at)
          lastClock = clock
        }
        next++
      }
      if (next < ops) setTimeout(tick, 1)
      else resolve()
    }
    tick()
  })

  const replayMs = performance.now() - started
  const after = { own: ownCpuMs(), server: await server.probe() }
  const threads = watch?.()
  const expected = ytext.toString()
  let delivered = true
  try {
    await waitFor(() => cursors.every((c) => c >= opClock.length), 'every reader to receive every edit', 60_000)
  } catch {
    delivered = false
  }
  // Edits after the last insertion (deletions) follow it on the same ordered stream.
  await sleep(200)
  const wrong = await convergence(readers, expected)
  if (caseName) {
    ctx.rec.measure(caseName, 'p50 latency', 'ms', 'lower', percentile(latencies, 50))
    ctx.rec.measure(caseName, 'p99 latency', 'ms', 'lower', percentile(latencies, 99))
    ctx.rec.measure(caseName, 'server CPU', '% core', 'none', ((after.server.cpuMs - before.server.cpuMs) / replayMs) * 100)
    ctx.rec.measure(caseName, 'generator CPU', '% core', 'none', ((after.own - before.own) / replayMs) * 100)
    for (const [metric, unit, value] of threads ?? []) if (Number.isFinite(value)) ctx.rec.measure(caseName, metric, unit, 'none', value)
    ctx.rec.check(`W1 ${caseName}: every reader received every edit`, delivered)
    ctx.rec.check(
      `W1 ${caseName}: all ${readerCount} readers equal the writer's text (${expected.length} chars after ${ops} trace edits)`,
      wrong === 0 && expected === textAfter(trace, ops),
      wrong === 0 ? undefined : `${wrong} readers differ`
    )
  }
  closeAll([writer, ...readers])
  ydoc.destroy()
}

/**
 * Start watching the server's threads and its LevelDB LOG; the returned function ends the watch,
 * logs what each thread did and returns the figures the table gets (per second of the replay).
 */
function threadWatch(server: ServerProcess): () => Array<[string, string, number]> {
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

/** Readers whose text still differs from `expected` after a few retries. */
async function convergence(readers: WireClient[], expected: string): Promise<number> {
  let wrong = readers.length
  for (let attempt = 0; attempt < 5 && wrong > 0; attempt++) {
    if (attempt > 0) await sleep(500)
    wrong = readers.filter((reader) => reader.text() !== expected).length
  }
  return wrong
}
