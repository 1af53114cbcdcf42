/**
 * Cutting an update into parts under a size: every part fits, and the parts applied in order on
 * the receiver's state integrate one by one (nothing held pending, as a server with a bound on
 * pending updates requires) and end with exactly the sender's document. Seeded: a failure names
 * its seed (replay with QUIRE_SEED).
 */
import { rng, withSeed } from '@quire/testkit'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { updateParts } from '../src/update-parts.js'

const SAMPLES = ['a', 'word ', 'café ', '日本語', '😀', '\n', 'x'.repeat(50)]

function randomText(random: () => number, length: number): string {
  let text = ''
  while (text.length < length) text += SAMPLES[Math.floor(random() * SAMPLES.length)]
  return text
}

/** Whether `doc` holds structs or deletions it could not integrate yet. */
function pending(doc: Y.Doc): boolean {
  const store = doc.store as unknown as { pendingStructs: unknown; pendingDs: unknown }
  return store.pendingStructs !== null || store.pendingDs !== null
}

function applyInOrder(receiver: Y.Doc, parts: Uint8Array[], maxBytes: number): void {
  for (const [index, part] of parts.entries()) {
    expect(part.length, `part ${index} of ${parts.length}`).toBeLessThanOrEqual(maxBytes)
    Y.applyUpdate(receiver, part)
    expect(pending(receiver), `part ${index} of ${parts.length} left something pending`).toBe(false)
  }
}

describe('updateParts', () => {
  it('leaves an update that fits as it is', () => {
    const doc = new Y.Doc()
    doc.getText('codemirror').insert(0, 'small')
    const update = Y.encodeStateAsUpdate(doc)
    expect(updateParts(update, 1024)).toEqual([update])
  })

  it('cuts one large insertion inside its text, never inside a surrogate pair', () => {
    const sender = new Y.Doc()
    const text = '😀'.repeat(40_000) + 'é'.repeat(30_000)
    sender.getText('codemirror').insert(0, text)
    const update = Y.encodeStateAsUpdate(sender)
    const parts = updateParts(update, 10_000)
    expect(parts.length).toBeGreaterThan(update.length / 10_000)
    const receiver = new Y.Doc()
    applyInOrder(receiver, parts, 10_000)
    expect(receiver.getText('codemirror').toString() === text).toBe(true)
  })

  it('offline work of several sessions (client ids), with deletions, arrives whole and in order', async () => {
    for (let round = 0; round < 25; round++) {
      await withSeed(1000 + round, (seed) => {
        const random = rng(seed)
        const maxBytes = 1024 + Math.floor(random() * 8000)
        // What the server has.
        const server = new Y.Doc()
        server.getText('codemirror').insert(0, randomText(random, 2000))
        // Offline: several page loads, each a new client id that starts from the cached state.
        let state = Y.encodeStateAsUpdate(server)
        let offline = new Y.Doc()
        for (let session = 0; session < 1 + Math.floor(random() * 4); session++) {
          offline = new Y.Doc()
          Y.applyUpdate(offline, state)
          const text = offline.getText('codemirror')
          for (let edit = 0; edit < 1 + Math.floor(random() * 12); edit++) {
            const at = Math.floor(random() * (text.length + 1))
            if (random() < 0.25 && text.length > 0)
              text.delete(at === text.length ? at - 1 : at, Math.min(text.length - at, 1 + Math.floor(random() * 500)) || 1)
            else text.insert(at, randomText(random, random() < 0.3 ? 5000 + Math.floor(random() * 20_000) : 1 + Math.floor(random() * 200)))
          }
          if (random() < 0.3) offline.getMap('meta').set('title', randomText(random, 40))
          state = Y.encodeStateAsUpdate(offline)
        }
        const update = Y.encodeStateAsUpdate(offline, Y.encodeStateVector(server))
        const parts = updateParts(update, maxBytes)
        applyInOrder(server, parts, maxBytes)
        expect(server.getText('codemirror').toString()).toBe(offline.getText('codemirror').toString())
        expect(server.getMap('meta').toJSON()).toEqual(offline.getMap('meta').toJSON())
        expect(Y.encodeStateVector(server)).toEqual(Y.encodeStateVector(offline))
      })
    }
  })

  it('leaves a part it cannot cut (one large embed) oversized, alone, and the rest fitting', () => {
    const sender = new Y.Doc()
    const text = sender.getText('codemirror')
    text.insert(0, 'before ')
    text.insertEmbed(7, { image: 'x'.repeat(20_000) })
    text.insert(8, ` after ${'y'.repeat(30_000)}`)
    const parts = updateParts(Y.encodeStateAsUpdate(sender), 8_000)
    expect(parts.filter((part) => part.length > 8_000)).toHaveLength(1)
    const receiver = new Y.Doc()
    for (const part of parts) Y.applyUpdate(receiver, part)
    expect(pending(receiver)).toBe(false)
    expect(receiver.getText('codemirror').toDelta()).toEqual(text.toDelta())
  })
})
