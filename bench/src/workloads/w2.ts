/**
 * W2 many documents: D documents x 3 clients. "human": each client types 5 characters a second,
 * each with a cursor awareness update. "flat out": each client keeps a window of edits in flight
 * (sent but not yet seen by both other clients of its document) and sends whenever it may.
 * Measured over a window after a ramp: edits relayed per second (counted at the receivers from
 * state-vector metadata, so a server that merges messages is credited per edit), server CPU,
 * event-loop delay p99 inside the server, and the generator's own CPU.
 */

import { rng, waitFor } from '@quire/testkit'
import * as Y from 'yjs'
import type { ServerProcess } from '../servers.js'
import { watchThreads } from '../threads.js'
import { appendUpdate, awarenessUpdate } from '../updates.js'
import { ownCpuMs, sleep } from '../util.js'
import type { WireClient } from '../wire.js'
import { clientId, closeAll, openClients, type RunContext } from './common.js'

interface Typist {
  id: number
  /** Index within its document. */
  slot: number
  doc: number
  clock: number
  awarenessClock: number
  wire: WireClient
  /** seen[j]: the clock of the document's j-th client this client has received. */
  seen: number[]
}

export async function runW2(server: ServerProcess, ctx: RunContext): Promise<void> {
  await manyDocuments(server, ctx, 'human')
  await manyDocuments(server, ctx, 'flat')
}

/** One W2 case; `urls` (the cluster bench): the clients of each document connect to these in turn. */
export async function manyDocuments(
  server: ServerProcess,
  ctx: RunContext,
  mode: 'human' | 'flat',
  measured = true,
  urls: string[] = [server.baseUrl]
): Promise<void> {
  const { w2 } = ctx.config
  const caseName =
    mode === 'human' ? `${w2.docs} docs x ${w2.clientsPerDoc}, ${w2.humanOpsPerSecond} ops/s + cursors` : `${w2.docs} docs x ${w2.clientsPerDoc}, flat out`
  const per = w2.clientsPerDoc
  const typists: Typist[] = []
  let relayed = 0
  let stopped = false
  const pump = (t: Typist) => {
    if (stopped) return
    let acked = Number.POSITIVE_INFINITY
    for (let j = 0; j < per; j++) if (j !== t.slot) acked = Math.min(acked, typists[t.doc * per + j]!.seen[t.slot]!)
    while (t.clock - acked < w2.flatWindow) send(t)
  }
  const send = (t: Typist) => {
    t.wire.sendUpdate(appendUpdate(t.id, t.clock, String.fromCharCode(97 + (t.clock % 26))))
    t.clock++
  }
  const options = []
  for (let d = 0; d < w2.docs; d++) {
    for (let slot = 0; slot < per; slot++) {
      const index = d * per + slot
      options.push({
        baseUrl: urls[slot % urls.length]!,
        doc: `w2-${mode}-${d}-r${ctx.rec.round}`,
        dialect: server.spec.dialect,
        onUpdate: (update: Uint8Array) => {
          const self = typists[index]
          if (!self) return
          const to = Y.parseUpdateMeta(update).to
          for (let j = 0; j < per; j++) {
            if (j === slot) continue
            const clock = to.get(clientId(d * per + j)) ?? 0
            if (clock > self.seen[j]!) {
              relayed += clock - self.seen[j]!
              self.seen[j] = clock
              if (mode === 'flat') pump(typists[d * per + j]!)
            }
          }
        }
      })
    }
  }
  const wires = await openClients(options, server.spec.persistent)
  wires.forEach((wire, index) =>
    typists.push({
      id: clientId(index),
      slot: index % per,
      doc: Math.floor(index / per),
      clock: 0,
      awarenessClock: 1,
      wire,
      seen: new Array<number>(per).fill(0)
    })
  )

  const timers: NodeJS.Timeout[] = []
  if (mode === 'human') {
    const random = rng(2)
    const period = 1000 / w2.humanOpsPerSecond
    for (const t of typists) {
      timers.push(
        setTimeout(() => {
          const type = () => {
            if (stopped) return
            send(t)
            t.wire.sendAwareness(awarenessUpdate(t.id, t.awarenessClock++, `user ${t.id}`, t.clock))
          }
          type()
          timers.push(setInterval(type, period))
        }, random() * period)
      )
    }
  } else {
    for (const t of typists) pump(t)
  }

  await sleep(w2.rampMs)
  const start = { at: performance.now(), relayed, own: ownCpuMs(), server: await server.probe({ resetDelay: true }) }
  const watch = ctx.threads && measured ? watchThreads(server) : undefined
  await sleep(w2.windowMs)
  const end = { at: performance.now(), relayed, own: ownCpuMs(), server: await server.probe() }
  const threads = watch?.()
  stopped = true
  for (const timer of timers) clearTimeout(timer)

  // Nothing lost: every edit sent reaches both other clients of its document.
  let complete = true
  try {
    await waitFor(
      () => typists.every((t) => t.seen.every((clock, j) => j === t.slot || clock === typists[t.doc * per + j]!.clock)),
      'every edit to reach every client',
      60_000
    )
  } catch {
    complete = false
  }
  const seconds = (end.at - start.at) / 1000
  if (measured) {
    ctx.rec.measure(caseName, 'edits relayed', '/s', 'higher', (end.relayed - start.relayed) / seconds)
    ctx.rec.measure(caseName, 'server CPU', '% core', 'none', ((end.server.cpuMs - start.server.cpuMs) / (end.at - start.at)) * 100)
    ctx.rec.measure(caseName, 'event-loop delay p99', 'ms', 'lower', end.server.delayP99Ms)
    ctx.rec.measure(caseName, 'generator CPU', '% core', 'none', ((end.own - start.own) / (end.at - start.at)) * 100)
    for (const [metric, unit, value] of threads ?? []) if (Number.isFinite(value)) ctx.rec.measure(caseName, metric, unit, 'none', value)
    const sent = typists.reduce((sum, t) => sum + t.clock, 0)
    ctx.rec.check(`W2 ${caseName}: all ${sent} edits reached both other clients of their document`, complete)
  }
  closeAll(wires)
}
