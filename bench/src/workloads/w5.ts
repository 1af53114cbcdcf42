/**
 * W5 reconnect storm: C official-provider clients on D documents each type a marker and
 * converge; the server is killed (SIGKILL), every client types a second marker while it is down,
 * and the server is restarted on the same port and folder. Measured: from the restart (spawn)
 * until every client is synced again and holds all markers of its document. Then nothing is
 * lost: every client, and a fresh client per document, holds every marker.
 */
import { rmSync } from 'node:fs'
import { waitFor } from '@quire/testkit'
import { connectProvider, type ProviderClient } from '../providers.js'
import { ServerProcess, type ServerSpec } from '../servers.js'
import { sleep } from '../util.js'
import type { RunContext } from './common.js'

export async function runW5(spec: ServerSpec, ctx: RunContext): Promise<void> {
  const { clients: count, docs } = ctx.config.w5
  const caseName = `${count} clients on ${docs} docs`
  const docName = (d: number) => `w5-${d}-r${ctx.rec.round}`
  let server = await ServerProcess.start(spec)
  const clients: ProviderClient[] = []
  const fresh: ProviderClient[] = []
  try {
    for (let i = 0; i < count; i++) {
      clients.push(connectProvider(server.baseUrl, spec.dialect, docName(i % docs)))
      if (i % 50 === 49) await sleep(20)
    }
    await waitFor(() => clients.every((c) => c.isSynced()), `${count} clients to sync`, 60_000)
    const markers = (d: number, round: 'a' | 'b') => clients.map((_, i) => `<${round}${i}>`).filter((_, i) => i % docs === d)
    const expectedLength = (d: number, rounds: Array<'a' | 'b'>) => rounds.reduce((sum, r) => sum + markers(d, r).join('').length, 0)
    const holds = (c: ProviderClient, d: number, rounds: Array<'a' | 'b'>) => {
      if (c.text.length !== expectedLength(d, rounds)) return false
      const text = c.text.toString()
      return rounds.every((r) => markers(d, r).every((m) => text.includes(m)))
    }
    clients.forEach((c, i) => c.text.insert(c.text.length, `<a${i}>`))
    await waitFor(() => clients.every((c, i) => holds(c, i % docs, ['a'])), 'clients to converge before the kill', 60_000)

    await server.kill()
    clients.forEach((c, i) => c.text.insert(c.text.length, `<b${i}>`))
    await sleep(200)
    server = await ServerProcess.start(spec, { port: server.port, dataDir: server.dataDir })
    let resynced = true
    try {
      await waitFor(() => clients.every((c, i) => c.isSynced() && holds(c, i % docs, ['a', 'b'])), 'every client to resync', 120_000, 5)
    } catch {
      resynced = false
    }
    const doneAt = performance.now()
    ctx.rec.measure(caseName, 'restart to all resynced', 'ms', 'lower', resynced ? doneAt - server.spawnedAt : Number.NaN)
    ctx.rec.measure(caseName, 'listening to all resynced', 'ms', 'lower', resynced ? doneAt - server.listeningAt : Number.NaN)
    ctx.rec.check(`W5 ${caseName}: every client resynced with every marker of its document`, resynced)

    for (let d = 0; d < docs; d++) fresh.push(connectProvider(server.baseUrl, spec.dialect, docName(d)))
    let kept = true
    try {
      await waitFor(() => fresh.every((c, d) => c.isSynced() && holds(c, d, ['a', 'b'])), 'fresh clients to hold every marker', 60_000)
    } catch {
      kept = false
    }
    ctx.rec.check(`W5 ${caseName}: nothing lost (a fresh client per document holds all ${count * 2} markers)`, kept)
  } finally {
    for (const c of [...clients, ...fresh]) c.destroy()
    await server.stop()
    rmSync(server.dataDir, { recursive: true, force: true })
  }
}
