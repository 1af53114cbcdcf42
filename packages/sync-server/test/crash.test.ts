/**
 * The seeded crash suite: writers edit several documents while the server is killed with
 * `kill -9` at random moments, 30 times, restarted on the same data folder and port each time.
 * After every restart: LevelDB opens, every update that any other client had received is there,
 * and all clients converge once they have reconnected.
 */

import { type Client, connect, rng, type ServerProcess, startServer, tempDataDir, waitConverged, waitFor, withSeed } from '@quire/testkit'
import { describe, expect, it } from 'vitest'

const KILLS = Number(process.env.QUIRE_CRASH_KILLS ?? 30)
const DOCS = ['crash/a', 'crash/b', 'crash/c']
const ARGS = ['--rate-limit', '0', '--compact-every', '20']

interface Writer {
  client: Client
  id: string
  counter: number
}

describe('crash suite', () => {
  it(`DV1: keeps every received update across ${KILLS} kill -9s`, async () => {
    await withSeed(4242, async (seed) => {
      const random = rng(seed)
      const dataDir = tempDataDir()
      let server: ServerProcess = await startServer({ dataDir, args: ARGS })
      const port = server.port
      // Per document: two writers and a reader; the reader's view is what "received" means.
      const writers = new Map<string, Writer[]>()
      const readers = new Map<string, Client>()
      for (const doc of DOCS) {
        writers.set(
          doc,
          [0, 1].map((i) => ({ client: connect(server.wsUrl, doc), id: `${doc.slice(-1)}${i}`, counter: 0 }))
        )
        readers.set(doc, connect(server.wsUrl, doc))
      }
      const everyone = () => [...[...writers.values()].flat().map((w) => w.client), ...readers.values()]
      await Promise.all(everyone().map((client) => client.synced()))
      let checked = 0

      for (let kill = 1; kill <= KILLS; kill++) {
        // Type for a random while, then kill the server mid-stream.
        const editsBeforeKill = 20 + Math.floor(random() * 150)
        let edits = 0
        while (edits < editsBeforeKill) {
          const writer = [...writers.values()].flat()[Math.floor(random() * DOCS.length * 2)]!
          if (writer.client.provider.wsconnected) {
            writer.client.text.insert(writer.client.text.length, `<${writer.id}-${writer.counter++}>`)
            edits++
          }
          if (edits % 10 === 0) await new Promise((resolve) => setImmediate(resolve))
        }
        server.proc.kill('SIGKILL')
        await server.exited
        const received = new Map(
          DOCS.map((doc) => [
            doc,
            readers
              .get(doc)!
              .text.toString()
              .match(/<[^>]+>/g) ?? []
          ])
        )

        // Restart on the same folder and port: LevelDB must open, and the clients reconnect on their own.
        server = await startServer({ dataDir, port, args: ARGS })
        for (const doc of DOCS) {
          const fresh = connect(server.wsUrl, doc)
          await fresh.synced()
          const stored = fresh.text.toString()
          for (const item of received.get(doc)!) expect(stored, `kill ${kill}: ${doc} lost ${item}, which a reader had received`).toContain(item)
          checked += received.get(doc)!.length
          fresh.destroy()
        }
        await waitFor(() => everyone().every((client) => client.provider.synced), `kill ${kill}: all clients to resync`, 60_000)
        for (const doc of DOCS) await waitConverged([...writers.get(doc)!.map((w) => w.client), readers.get(doc)!])
      }
      const typed = [...writers.values()].flat().reduce((sum, writer) => sum + writer.counter, 0)
      console.log(
        `[crash] seed ${seed}: ${KILLS} kills survived; ${typed} updates typed; ${checked} checks that a received update was still there after a restart`
      )
      for (const client of everyone()) client.destroy()
      expect(await server.kill('SIGTERM')).toBe(0)
      expect(checked).toBeGreaterThan(KILLS)
    })
  })
})
