/**
 * W4 memory: D documents of about 4 KB, each typed as 400 separate updates, with one idle client
 * left on each: server memory per document once they have been quiet for `quietMs` (after a
 * forced GC), against a baseline taken after the same work on `warmDocs` documents. Then 1,000 more idle connections spread over those documents:
 * memory per connection. Memory is JS heap + external (V8's own accounting) and RSS, the target:
 * what a container limit sees. RSS is taken as the lowest of several samples a second apart,
 * each after V8's memory-reducing GC, so that pages the process gives back soon do not count,
 * with the young generation (V8 new space) and native memory (RSS beyond V8's heap) beside it.
 */
import { rmSync } from 'node:fs'
import { type ProbeReply, ServerProcess, type ServerSpec } from '../servers.js'
import { fmt, log, sleep } from '../util.js'
import type { WireClient } from '../wire.js'
import { clientId, closeAll, openClients, type RunContext, typeDocument } from './common.js'

const heap = (p: ProbeReply) => p.heapUsed + p.external
const native = (p: ProbeReply) => p.rss - p.v8Committed
const mib = (bytes: number) => fmt(bytes / 2 ** 20)

/** Memory once it has settled: of `samples` readings `intervalMs` apart, each after a memory-reducing GC, the one with the least RSS. */
async function settled(server: ServerProcess, samples: number, intervalMs: number): Promise<ProbeReply> {
  let best = await server.probe({ gc: 'reduce' })
  for (let i = 1; i < samples; i++) {
    await sleep(intervalMs)
    const reading = await server.probe({ gc: 'reduce' })
    if (process.env.BENCH_W4_DEBUG) log(`  sample ${i}: RSS ${mib(reading.rss)} MiB, new space ${mib(reading.newSpace)}`)
    if (reading.rss < best.rss) best = reading
  }
  return best
}

function describe(what: string, p: ProbeReply): string {
  return `${what}: RSS ${mib(p.rss)} MiB (anonymous ${mib(p.anonymous)}), V8 committed ${mib(p.v8Committed)} (new space ${mib(p.newSpace)}), heap used ${mib(p.heapUsed)}, external ${mib(p.external)}, native ${mib(native(p))}`
}

export async function runW4(spec: ServerSpec, ctx: RunContext): Promise<void> {
  const { w4 } = ctx.config
  const server = await ServerProcess.start(spec)
  const keepalive: WireClient[] = []
  // Idle clients of the official providers renew their awareness every 15 s; ours do the same,
  // so that servers which close silent connections (Hocuspocus, after 60 s) keep them.
  const renew = setInterval(() => {
    for (const client of keepalive) client.sendAwareness(new Uint8Array([0]))
  }, 15_000)
  // D documents named w4-<prefix><d>, each typed in full, with its typist left on it idle.
  const typeIdle = async (prefix: string, count: number): Promise<WireClient[]> => {
    const clients: WireClient[] = []
    for (let i = 0; i < count; i += 50) {
      const wave = await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, (_, k) => i + k).map((d) =>
          typeDocument({
            baseUrl: server.baseUrl,
            dialect: spec.dialect,
            doc: `w4-${prefix}${d}`,
            typist: clientId(d),
            updates: w4.updatesPerDoc,
            charsPerUpdate: w4.charsPerUpdate,
            window: 20,
            synced: spec.persistent
          })
        )
      )
      clients.push(...wave)
    }
    keepalive.push(...clients)
    return clients
  }
  // The steady state of idle documents: after Hocuspocus' debounced stores (2 s, at most 10 s)
  // and Quire's release of unchanged documents (10 s) have run.
  const quiet = async () => {
    await server.quiesce()
    await sleep(w4.quietMs)
    await server.quiesce()
  }
  try {
    await sleep(300)
    await server.quiesce()
    // Warm up on the same work first, so that what a process compiles once (V8's optimised code
    // for the update path, ~2 MB for Quire by heap snapshot) is in the baseline, not in the
    // per-document figure.
    const warm = await typeIdle('warm-', w4.warmDocs)
    await quiet()
    const sample = () => settled(server, w4.settleSamples, w4.settleIntervalMs)
    const base = await sample()

    const idle = await typeIdle('', w4.docs)
    await quiet()
    const withDocs = await sample()
    log(`W4 ${spec.name} ${describe('baseline', base)}`)
    log(`W4 ${spec.name} ${describe(`with ${w4.docs} documents`, withDocs)}`)
    const docCase = `${w4.docs} docs x ${w4.updatesPerDoc} updates, 1 idle client each`
    const perDoc = (bytes: number) => bytes / w4.docs / 1024
    ctx.rec.measure(docCase, 'memory per doc (RSS)', 'KB', 'lower', perDoc(withDocs.rss - base.rss))
    ctx.rec.measure(docCase, 'memory per doc (heap+external)', 'KB', 'lower', perDoc(heap(withDocs) - heap(base)))
    ctx.rec.measure(docCase, 'memory per doc (V8 new space)', 'KB', 'lower', perDoc(withDocs.newSpace - base.newSpace))
    ctx.rec.measure(docCase, 'memory per doc (native: RSS - V8 heap)', 'KB', 'lower', perDoc(native(withDocs) - native(base)))
    ctx.rec.check(
      `W4 ${docCase}: every document was typed in full`,
      [...warm, ...idle].every((client) => !client.closed)
    )

    const extra = await openClients(
      Array.from({ length: w4.idleConnections }, (_, i) => ({ baseUrl: server.baseUrl, doc: `w4-${i % w4.docs}`, dialect: spec.dialect })),
      spec.persistent
    )
    keepalive.push(...extra)
    await sleep(300)
    await server.quiesce()
    const withConnections = await sample()
    log(`W4 ${spec.name} ${describe(`with ${w4.idleConnections} more connections`, withConnections)}`)
    const connCase = `${w4.idleConnections.toLocaleString('en-US')} idle connections`
    ctx.rec.measure(connCase, 'memory per connection (RSS)', 'KB', 'lower', (withConnections.rss - withDocs.rss) / w4.idleConnections / 1024)
    ctx.rec.measure(connCase, 'memory per connection (heap+external)', 'KB', 'lower', (heap(withConnections) - heap(withDocs)) / w4.idleConnections / 1024)
    ctx.rec.check(`W4 ${connCase}: all still open`, extra.every((client) => !client.closed) && idle.every((client) => !client.closed))
    closeAll(keepalive)
  } finally {
    clearInterval(renew)
    closeAll(keepalive)
    await server.stop()
    rmSync(server.dataDir, { recursive: true, force: true })
  }
}
