/**
 * What Yjs holds for missing dependencies is shared by every sender: cutting off the one who
 * overflows it must not discard what the others wait for. In process, with a small limit.
 */
import { CloseCode } from '@quire/protocol'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SharedDocument } from '../src/documents/document.js'
import { loadDocument } from '../src/documents/load.js'
import { pendingBytes, waitsWhole } from '../src/guard/pending.js'
import { MemoryStore } from '../src/storage/memory.js'
import { sameSpotInserts, textInsert } from './helpers/bad-payloads.js'
import { documentContext, RecordingPeer } from './helpers/peer.js'

/** `base` by client 200, and client 100's "+A" after it, sent on its own: it waits for client 200. */
function dependentPair() {
  const c = new Y.Doc()
  c.clientID = 200
  c.getText('codemirror').insert(0, 'base')
  const a = new Y.Doc()
  a.clientID = 100
  Y.applyUpdate(a, Y.encodeStateAsUpdate(c))
  const seen = Y.encodeStateVector(a)
  a.getText('codemirror').insert(4, '+A')
  return { base: Y.encodeStateAsUpdate(c), plusA: Y.encodeStateAsUpdate(a, seen) }
}

/** Inserts by `client` from clock 5: all of them wait for clocks 0-4. */
function gapped(client: number, count: number): Uint8Array {
  const update = sameSpotInserts(1, count, client)
  update[1 + 2 + 2] = 5 // first clock (count >= 128, client >= 128: two bytes each)
  return update
}

async function openDoc(maxPendingBytes: number) {
  const store = new MemoryStore()
  const { ctx } = documentContext(store, 1000, { maxPendingBytes })
  return new SharedDocument('doc', await loadDocument(store, 'doc'), ctx)
}

describe('pending updates', () => {
  it('waitsWhole: true only when none of an update would go in', () => {
    const doc = new Y.Doc()
    const { base, plusA } = dependentPair()
    expect(waitsWhole(doc, Y.decodeUpdate(plusA))).toBe(true)
    expect(waitsWhole(doc, Y.decodeUpdate(gapped(300, 200)))).toBe(true)
    expect(waitsWhole(doc, Y.decodeUpdate(base))).toBe(false)
    // One part that goes in is enough.
    expect(waitsWhole(doc, Y.decodeUpdate(Y.mergeUpdates([plusA, textInsert(9, 0, 'x')])))).toBe(false)
    expect(waitsWhole(doc, Y.decodeUpdate(Y.mergeUpdates([plusA, base])))).toBe(false)
  })

  it('F5: an update that goes in partly and overflows: its sender is cut off, its part that went in stays, and what others wait for survives', async () => {
    const doc = await openDoc(4096)
    const a = new RecordingPeer('a')
    const b = new RecordingPeer('b')
    const c = new RecordingPeer('c')
    for (const peer of [a, b, c]) doc.join(peer)
    const { base, plusA } = dependentPair()
    doc.receive(a, { type: 'sync-update', update: plusA }, 1)
    // (The first change woke the document, which starts dormant.)
    expect(pendingBytes(doc.ydoc as Y.Doc)).toBeGreaterThan(0)
    const mixed = Y.mergeUpdates([textInsert(9, 0, 'B'), gapped(300, 400)])
    expect(mixed.length).toBeGreaterThan(4096)
    doc.receive(b, { type: 'sync-update', update: mixed }, 1)
    expect(b.closedWith?.code).toBe(CloseCode.InvalidUpdate)
    expect(a.closedWith).toBeUndefined()
    doc.receive(c, { type: 'sync-update', update: base }, 1)
    expect(doc.ydoc?.getText('codemirror').toString()).toBe('Bbase+A')
    await doc.close()
  })
})
