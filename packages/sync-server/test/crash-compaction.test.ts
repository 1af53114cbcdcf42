/**
 * `kill -9` while compacting: with a compaction after every write, the server spends much of
 * its time compacting; kill it at seeded random moments and check, after each restart, that
 * the document loads and holds everything a reader had received.
 */

import { connect, rng, startServer, tempDataDir, waitFor, withSeed } from '@quire/testkit'
import { describe, expect, it } from 'vitest'

describe('crash during compaction', () => {
  it('CM1: leaves a loadable document holding every received update, over 6 kills', async () => {
    await withSeed(99, async (seed) => {
      const random = rng(seed)
      const dataDir = tempDataDir()
      const args = ['--compact-every', '1']
      let counter = 0
      for (let kill = 0; kill < 6; kill++) {
        const server = await startServer({ dataDir, args })
        const writer = connect(server.wsUrl, 'compacting')
        const reader = connect(server.wsUrl, 'compacting')
        await Promise.all([writer.synced(), reader.synced()])
        // What survived the previous kill is here before anything new is typed.
        const before = reader.text.toString()
        expect(writer.text.toString()).toBe(before)
        const target = counter + 200 + Math.floor(random() * 400)
        const typing = (async () => {
          while (counter < target && writer.provider.wsconnected) {
            writer.text.insert(writer.text.length, `<${counter++}>`)
            if (counter % 20 === 0) await new Promise((resolve) => setImmediate(resolve))
          }
        })()
        const killAfter = 20 + Math.floor(random() * 200)
        await waitFor(() => reader.text.length >= before.length + killAfter, 'the reader to receive part of the burst')
        server.proc.kill('SIGKILL')
        await server.exited
        await typing
        const seen = reader.text.toString()
        writer.provider.shouldConnect = false
        reader.provider.shouldConnect = false
        writer.destroy()
        reader.destroy()

        const check = await startServer({ dataDir, args })
        const fresh = connect(check.wsUrl, 'compacting')
        await fresh.synced()
        const stored = fresh.text.toString()
        for (const item of seen.match(/<\d+>/g) ?? []) expect(stored, `kill ${kill}: ${item} was received, then lost`).toContain(item)
        fresh.destroy()
        expect(await check.kill('SIGTERM')).toBe(0)
      }
    })
  })
})
