/**
 * W1 fan-out: one writer replays a prefix of the automerge-paper trace (a real Y.Doc, one
 * transaction per trace edit) at a fixed rate to N readers; writer-to-reader latency is measured
 * per edit that carries an insertion (deletions advance no clock a reader could see), and every
 * reader must end with exactly the writer's text.
 */

import { textAfter, waitFor } from '@quire/testkit'
import * as Y from 'yjs'
import type { ServerProcess } from '../servers.js'
import { watchThreads } from '../threads.js'
import { ROOT } from '../updates.js'
import { ownCpuMs, percentile, sleep } from '../util.js'
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
  const watch = ctx.threads && caseName ? watchThreads(server) : undefined
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

/** Readers whose text still differs from `expected` after a few retries. */
async function convergence(readers: WireClient[], expected: string): Promise<number> {
  let wrong = readers.length
  for (let attempt = 0; attempt < 5 && wrong > 0; attempt++) {
    if (attempt > 0) await sleep(500)
    wrong = readers.filter((reader) => reader.text() !== expected).length
  }
  return wrong
}
