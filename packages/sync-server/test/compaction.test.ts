/**
 * Compaction keeps content identical: for random edit histories and thresholds, what loads
 * from storage at any flush point equals what the editing client has, and the log after a
 * snapshot never grows past the threshold.
 */
import { rmSync } from 'node:fs'
import { seedFor, tempDataDir } from '@quire/testkit'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SharedDocument } from '../src/documents/document.js'
import { loadDocument } from '../src/documents/load.js'
import { LevelStore } from '../src/storage/leveldb.js'
import { MemoryStore } from '../src/storage/memory.js'
import type { DocumentStore } from '../src/storage/store.js'
import { documentContext, RecordingPeer } from './helpers/peer.js'

const op = fc.record({
  insert: fc.boolean(),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  text: fc.string({ minLength: 1, maxLength: 6 }),
  length: fc.integer({ min: 1, max: 5 }),
  flush: fc.boolean(),
  client: fc.integer({ min: 0, max: 2 })
})

async function replay(store: DocumentStore, ops: Array<typeof op extends fc.Arbitrary<infer T> ? T : never>, compactEvery: number) {
  const { ctx } = documentContext(store, compactEvery)
  const doc = new SharedDocument('doc', await loadDocument(store, 'doc'), ctx)
  const peers = [0, 1, 2].map((i) => new RecordingPeer(`p${i}`))
  for (const peer of peers) doc.join(peer)
  const clients = peers.map(() => new Y.Doc())
  // Clients stay in step through the server's relays, as real ones do.
  const truth = new Y.Doc()
  for (const step of ops) {
    const client = clients[step.client]!
    const text = client.getText('codemirror')
    let update: Uint8Array | undefined
    client.once('update', (u: Uint8Array) => (update = u))
    const at = Math.floor(step.at * text.length)
    if (step.insert || text.length === 0) text.insert(at, step.text)
    else text.delete(Math.min(at, text.length - 1), Math.min(step.length, text.length - at))
    if (!update) continue
    Y.applyUpdate(truth, update)
    for (const other of clients) if (other !== client) Y.applyUpdate(other, update)
    doc.receive(peers[step.client]!, { type: 'sync-update', update }, 1)
    if (step.flush) {
      await doc.settled()
      const stored = await store.read('doc')
      expect(stored.log.length).toBeLessThan(compactEvery + 1)
      expect((await loadDocument(store, 'doc')).ydoc.getText('codemirror').toString()).toBe(truth.getText('codemirror').toString())
    }
  }
  await doc.close()
  const after = await store.read('doc')
  expect(after.log).toHaveLength(0)
  expect((await loadDocument(store, 'doc')).ydoc.getText('codemirror').toString()).toBe(truth.getText('codemirror').toString())
}

describe('compaction', () => {
  it('CM2: keeps content identical over random histories (memory store)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 120 }), fc.integer({ min: 1, max: 8 }), async (ops, compactEvery) => {
        await replay(new MemoryStore(), ops, compactEvery)
      }),
      { seed: seedFor(20261125), numRuns: 60 }
    )
  })

  it('CM2: keeps content identical over random histories (LevelDB folder)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 5 }), async (ops, compactEvery) => {
        const dir = tempDataDir()
        const store = await LevelStore.open(dir, { sync: false })
        try {
          await replay(store, ops, compactEvery)
        } finally {
          await store.close()
          rmSync(dir, { recursive: true, force: true })
        }
      }),
      { seed: seedFor(7), numRuns: 15 }
    )
  })
})
