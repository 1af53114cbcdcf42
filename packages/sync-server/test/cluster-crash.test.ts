/**
 * The seeded cluster crash suite: writers on three instances type into shared documents while an
 * instance, or Redis itself, is killed with `kill -9` at random moments. A killed instance's
 * writers move to another instance and resend what they have; the instance is started again on
 * its port. Redis is started again on its directory. After every kill: every update any client
 * had received, and every acknowledged one, is there, and all clients converge.
 */

import { rmSync } from 'node:fs'
import { type Client, connect, rng, startServer, waitConverged, waitFor, withSeed } from '@quire/testkit'
import { describe, expect, it } from 'vitest'
import { AckWriter } from './helpers/ack-writer.js'
import { startCluster } from './helpers/cluster.js'

const KILLS = Number(process.env.QUIRE_CLUSTER_KILLS ?? 6)
const DOCS = ['cluster/a', 'cluster/b']
// Compacting every 20 entries makes the instances' compactions race each other all along (CL2).
const ARGS = ['--rate-limit', '0', '--compact-every', '20']

const items = (text: string) => text.match(/<[^>]+>/g) ?? []

describe('cluster crash suite', () => {
  it(`CL8/CL2/CV1: three instances keep every received and acknowledged update across ${KILLS} kill -9s of instances and of Redis`, async () => {
    await withSeed(1414, async (seed) => {
      const random = rng(seed)
      const cluster = await startCluster(3, ARGS)
      try {
        const url = (i: number) => cluster.instances[i]!.wsUrl
        // Per document and instance: a stock writer and a stock reader; per document, one writer asking for acknowledgements.
        const writers = DOCS.flatMap((doc) => [0, 1, 2].map((i) => ({ doc, on: i, client: connect(url(i), doc), id: `${doc.slice(-1)}${i}`, n: 0 })))
        const readers = DOCS.flatMap((doc) => [0, 1, 2].map((i) => ({ doc, on: i, client: connect(url(i), doc) })))
        const ackers = DOCS.map((doc) => ({ doc, writer: new AckWriter(doc, `${doc.slice(-1)}k`), n: 0 }))
        for (const acker of ackers) await acker.writer.connect(url(0))
        const clients = () => [...writers, ...readers].map((entry) => entry.client)
        await Promise.all(clients().map((client) => client.synced()))
        let checks = 0
        // Every close code a client saw: all must be ones clients retry after (C2).
        const closes: number[] = []
        for (const client of clients()) client.provider.on('connection-close', (event: { code: number } | null) => event && closes.push(event.code))
        const killed = { instance: 0, redis: 0 }

        for (let kill = 1; kill <= KILLS; kill++) {
          const edits = 20 + Math.floor(random() * 100)
          for (let done = 0; done < edits; ) {
            const pick = Math.floor(random() * (writers.length + ackers.length))
            if (pick < writers.length) {
              const writer = writers[pick]!
              if (!writer.client.provider.wsconnected) continue
              writer.client.text.insert(writer.client.text.length, `<${writer.id}-${writer.n++}>`)
            } else {
              const acker = ackers[pick - writers.length]!
              if (!acker.writer.open) continue
              acker.writer.write(acker.n++)
            }
            done++
            if (done % 10 === 0) await new Promise((resolve) => setImmediate(resolve))
          }
          // Every other kill at most takes Redis; the rest take a random instance.
          const victim = kill % 3 === 0 || (kill % 2 === 0 && random() < 0.3) ? 'redis' : Math.floor(random() * 3)
          if (victim === 'redis') {
            await cluster.redis.kill('SIGKILL')
            killed.redis++
          } else {
            await cluster.instances[victim]!.kill('SIGKILL')
            killed.instance++
          }
          const received = new Map(DOCS.map((doc) => [doc, new Set(readers.filter((r) => r.doc === doc).flatMap((r) => items(r.client.text.toString())))]))
          const acked = new Map(ackers.map((acker) => [acker.doc, [...acker.writer.acked]]))

          if (victim === 'redis') {
            await cluster.restartRedis()
            // Until an instance is back on Redis, a sync request is answered from its copy as it is
            // (CL3), which may lack what a doorbell lost with Redis rang for: check once all answer again.
            await waitFor(
              async () =>
                (await Promise.all(cluster.instances.map(async (instance) => (await fetch(`${instance.httpUrl}/readyz`)).status === 200))).every(Boolean),
              `kill ${kill}: every instance ready again after Redis came back`,
              60_000,
              100
            )
          } else {
            // Its writers go to another instance with what they have; its readers wait for it to come back.
            const other = (victim + 1 + Math.floor(random() * 2)) % 3
            for (const writer of writers.filter((w) => w.on === victim)) {
              writer.client.provider.destroy()
              writer.client = connect(url(other), writer.doc, { doc: writer.client.doc })
              writer.on = other
            }
            const { port, dataDir } = cluster.instances[victim]!
            rmSync(dataDir, { recursive: true, force: true })
            cluster.instances[victim] = await startServer({ port, args: ['--redis', cluster.redis.url, ...ARGS] })
          }
          for (const acker of ackers) {
            await waitFor(
              async () => {
                if (!acker.writer.open) {
                  if (acker.writer.closed) closes.push(acker.writer.closed.code)
                  await acker.writer.connect(url(Math.floor(random() * 3))).catch(() => {})
                }
                return acker.writer.open
              },
              `kill ${kill}: the acknowledged writer of ${acker.doc} to reconnect`,
              60_000,
              200
            )
          }

          for (const doc of DOCS) {
            const fresh: Client = connect(url(Math.floor(random() * 3)), doc)
            await fresh.synced()
            const stored = fresh.text.toString()
            for (const item of received.get(doc)!)
              expect(stored, `seed ${seed}, kill ${kill} (${victim}): ${doc} lost ${item}, which a reader had received`).toContain(item)
            for (const item of acked.get(doc)!)
              expect(stored, `seed ${seed}, kill ${kill} (${victim}): ${doc} lost ${item}, which was acknowledged`).toContain(item)
            checks += received.get(doc)!.size + acked.get(doc)!.length
            fresh.destroy()
          }
          await waitFor(() => clients().every((client) => client.provider.synced), `kill ${kill}: all clients to resync`, 60_000)
          for (const doc of DOCS) {
            const ofDoc = [...writers, ...readers].filter((entry) => entry.doc === doc).map((entry) => entry.client)
            await waitConverged(ofDoc).catch((error: Error) => {
              // Say who lacks what, and what the instances logged as wrong, before failing.
              const union = new Set(ofDoc.flatMap((client) => items(client.text.toString())))
              const entries = [...writers, ...readers].filter((entry) => entry.doc === doc)
              const lacking = entries.map(
                (entry, i) =>
                  `${i < 3 ? 'writer' : 'reader'} on ${entry.on}: lacks ${[...union].filter((item) => !entry.client.text.toString().includes(item)).join(' ')}`
              )
              const warnings = cluster.instances.map(
                (instance, i) => `instance ${i}: ${JSON.stringify(instance.logs.filter((line) => Number(line.level) >= 40).slice(-5))}`
              )
              throw new Error(`${error.message} (${doc}, kill ${kill}, ${victim})\n${lacking.join('\n')}\n${warnings.join('\n')}`)
            })
            const acker = ackers.find((a) => a.doc === doc)!
            await waitFor(
              async () => {
                // A connection that ended meanwhile (its document failed a write) reconnects and resends, as any client would.
                if (!acker.writer.open) {
                  closes.push(acker.writer.closed?.code ?? 0)
                  await acker.writer.connect(url(Math.floor(random() * 3))).catch(() => {})
                }
                return items(acker.writer.doc.getText('codemirror').toString()).every((item) => ofDoc[0]!.text.toString().includes(item))
              },
              `kill ${kill}: ${doc}'s acknowledged writer's text everywhere`,
              30_000,
              50
            ).catch((error: Error) => {
              const missing = items(acker.writer.doc.getText('codemirror').toString()).filter((item) => !ofDoc[0]!.text.toString().includes(item))
              throw new Error(`${error.message}; missing ${missing.join(' ')}; writer open ${acker.writer.open}, closed ${JSON.stringify(acker.writer.closed)}`)
            })
          }
        }
        const typed = writers.reduce((sum, w) => sum + w.n, 0) + ackers.reduce((sum, a) => sum + a.n, 0)
        const compactions = await Promise.all(
          cluster.instances.map(async (instance) =>
            Number((await (await fetch(`${instance.httpUrl}/metrics`)).text()).match(/^quire_compactions_total (\d+)/m)?.[1] ?? 0)
          )
        )
        console.log(
          `[cluster crash] seed ${seed}: ${killed.instance} instance kills and ${killed.redis} Redis kills survived; ${typed} edits typed; ${checks} checks that a received or acknowledged update was still there; compactions per instance since their last start: ${compactions.join(', ')}`
        )
        expect(closes.filter((code) => code >= 4400 && code < 4500)).toEqual([])
        expect(killed.redis).toBeGreaterThan(0)
        expect(killed.instance).toBeGreaterThan(0)
        expect(checks).toBeGreaterThan(KILLS)
        for (const client of clients()) client.destroy()
        for (const acker of ackers) acker.writer.close()
      } finally {
        await cluster.stop()
      }
    })
  })
})
