/**
 * W4 memory: D documents of about 4 KB, each typed as 400 separate updates, with one idle client
 * left on each: server memory per document once they have been quiet for `quietMs` (after a
 * forced GC), against a baseline taken after the same work on `warmDocs` documents. Then 1,000 more idle connections spread over those documents:
 * memory per connection. Memory is JS heap + external (V8's own accounting) and RSS.
 */
import { rmSync } from 'node:fs'
import { type ProbeReply, ServerProcess, type ServerSpec } from '../servers.js'
import { sleep } from '../util.js'
import type { WireClient } from '../wire.js'
import { clientId, closeAll, openClients, type RunContext, typeDocument } from './common.js'

const heap = (p: ProbeReply) => p.heapUsed + p.external

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
    const base = await server.probe({ gc: true })

    const idle = await typeIdle('', w4.docs)
    await quiet()
    const withDocs = await server.probe({ gc: true })
    const docCase = `${w4.docs} docs x ${w4.updatesPerDoc} updates, 1 idle client each`
    ctx.rec.measure(docCase, 'memory per doc (heap+external)', 'KB', 'lower', (heap(withDocs) - heap(base)) / w4.docs / 1024)
    ctx.rec.measure(docCase, 'memory per doc (RSS)', 'KB', 'lower', (withDocs.rss - base.rss) / w4.docs / 1024)
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
    const withConnections = await server.probe({ gc: true })
    const connCase = `${w4.idleConnections.toLocaleString('en-US')} idle connections`
    ctx.rec.measure(connCase, 'memory per connection (heap+external)', 'KB', 'lower', (heap(withConnections) - heap(withDocs)) / w4.idleConnections / 1024)
    ctx.rec.measure(connCase, 'memory per connection (RSS)', 'KB', 'lower', (withConnections.rss - withDocs.rss) / w4.idleConnections / 1024)
    ctx.rec.check(`W4 ${connCase}: all still open`, extra.every((client) => !client.closed) && idle.every((client) => !client.closed))
    closeAll(keepalive)
  } finally {
    clearInterval(renew)
    closeAll(keepalive)
    await server.stop()
    rmSync(server.dataDir, { recursive: true, force: true })
  }
}
