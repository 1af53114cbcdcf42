/**
 * The encoded state answers every state vector as a fresh encoding of the document would, and a
 * document gives each connection one sync answer at a time, merging the step 1s that wait.
 */
import { CloseCode, readFrame } from '@quire/protocol'
import { waitFor } from '@quire/testkit'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SharedDocument } from '../src/documents/document.js'
import { EncodedState } from '../src/documents/encoded-state.js'
import { loadDocument } from '../src/documents/load.js'
import { MemoryStore } from '../src/storage/memory.js'
import { documentContext, RecordingPeer } from './helpers/peer.js'

function updateOf(frame: Uint8Array): Uint8Array {
  const decoded = readFrame(frame)
  if (decoded.type !== 'sync-step2') throw new Error(`expected sync-step2, got ${decoded.type}`)
  return decoded.update
}

function encode(doc: Y.Doc): EncodedState {
  return new EncodedState(Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc))
}

describe('EncodedState', () => {
  it('F9: brings any earlier copy of the document up to date, deletions included (seeded)', () => {
    const seed = Number(process.env.QUIRE_SEED ?? Date.now() % 100_000)
    let state = seed
    const random = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    try {
      for (let round = 0; round < 30; round++) {
        const server = new Y.Doc()
        const authors = [new Y.Doc(), new Y.Doc()]
        const copies: Y.Doc[] = []
        for (let step = 0; step < 40; step++) {
          const author = authors[Math.floor(random() * authors.length)]!
          const text = author.getText('codemirror')
          if (text.length > 0 && random() < 0.4) text.delete(Math.floor(random() * text.length), 1 + Math.floor(random() * 3))
          else text.insert(Math.floor(random() * (text.length + 1)), `w${step} `)
          Y.applyUpdate(server, Y.encodeStateAsUpdate(author))
          for (const other of authors) Y.applyUpdate(other, Y.encodeStateAsUpdate(server))
          if (random() < 0.2) {
            const copy = new Y.Doc()
            Y.applyUpdate(copy, Y.encodeStateAsUpdate(server))
            copies.push(copy)
          }
        }
        // A deletion alone leaves the state vector as it was: an up-to-date vector must still get it.
        const last = server.getText('codemirror')
        if (last.length > 0) last.delete(0, 1)
        const encoded = encode(server)
        for (const copy of [new Y.Doc(), ...copies, authors[0]!]) {
          Y.applyUpdate(copy, updateOf(encoded.answer(Y.encodeStateVector(copy))))
          expect(copy.getText('codemirror').toString()).toBe(last.toString())
        }
      }
    } catch (error) {
      console.error(`EncodedState property failed with QUIRE_SEED=${seed}`)
      throw error
    }
  })

  it('gives clients with nothing, and clients repeating a vector, the same bytes rather than copies', () => {
    const doc = new Y.Doc()
    doc.getText('codemirror').insert(0, 'hello world')
    const encoded = encode(doc)
    const empty = Y.encodeStateVector(new Y.Doc())
    expect(encoded.answer(empty)).toBe(encoded.frame)
    expect(encoded.answer(empty)).toBe(encoded.answer(empty))
    const partial = Y.encodeStateVector(new Map([[doc.clientID, 3]]))
    expect(encoded.answer(partial)).toBe(encoded.answer(partial.slice()))
    const full = Y.encodeStateVector(doc)
    expect(encoded.answer(full)).toBe(encoded.answer(full))
    // The frame is the state as given, and `update` is a view into it.
    expect(updateOf(encoded.frame)).toEqual(Y.encodeStateAsUpdate(doc))
    expect(encoded.update.buffer).toBe(encoded.frame.buffer)
  })

  it('throws on a state vector that does not decode', () => {
    const encoded = encode(new Y.Doc())
    expect(() => encoded.answer(new Uint8Array([5, 0xff]))).toThrow()
  })
})

describe('one sync answer at a time per connection', () => {
  /** A peer whose sends complete only when `drain` is called, like a socket whose client reads slowly. */
  class SlowPeer extends RecordingPeer {
    private pending: Array<() => void> = []
    override send(bytes: Uint8Array, sent?: () => void): void {
      super.send(bytes)
      if (sent) this.pending.push(sent)
    }
    drain(): void {
      for (const sent of this.pending.splice(0)) sent()
    }
  }

  for (const mode of ['live', 'dormant'] as const) {
    it(`F9 (${mode}): step 1s that come while an answer is unsent merge; only the newest is answered`, async () => {
      const store = new MemoryStore()
      const { ctx } = documentContext(store, 1000, { releaseAfterMs: mode === 'live' ? 60_000 : 100 })
      const doc = new SharedDocument('doc', await loadDocument(store, 'doc'), ctx)
      const author = new Y.Doc()
      author.getText('codemirror').insert(0, 'hello')
      const writer = new RecordingPeer('writer')
      doc.join(writer)
      doc.receive(writer, { type: 'sync-update', update: Y.encodeStateAsUpdate(author) }, 1)
      await doc.flushed()
      if (mode === 'dormant') await waitFor(() => doc.ydoc === undefined, 'the document to go dormant')

      const slow = new SlowPeer('slow')
      doc.join(slow)
      const empty = Y.encodeStateVector(new Y.Doc())
      for (let i = 0; i < 50; i++) doc.receive(slow, { type: 'sync-step1', stateVector: empty }, i + 1)
      const full = Y.encodeStateVector(author)
      doc.receive(slow, { type: 'sync-step1', stateVector: full }, 51)
      await waitFor(() => slow.of('sync-step2').length === 1, 'the first answer')
      // Nothing more until the first answer has left; then only the newest request is answered.
      await doc.flushed()
      expect(slow.of('sync-step2')).toHaveLength(1)
      slow.drain()
      await waitFor(() => slow.of('sync-step2').length === 2, 'the merged answer')
      slow.drain()
      await doc.flushed()
      expect(slow.of('sync-step2')).toHaveLength(2)
      const [first, second] = slow.of('sync-step2')
      const copy = new Y.Doc()
      Y.applyUpdate(copy, first!.update)
      expect(copy.getText('codemirror').toString()).toBe('hello')
      // The newest request came from an up-to-date vector: its answer carries no structs.
      expect(Y.parseUpdateMeta(second!.update).to.size).toBe(0)
      await doc.close()
    })
  }

  it('a step 1 with a vector that does not decode closes only that connection (InvalidUpdate)', async () => {
    const store = new MemoryStore()
    const { ctx } = documentContext(store, 1000)
    const doc = new SharedDocument('doc', await loadDocument(store, 'doc'), ctx)
    const bad = new RecordingPeer('bad')
    const good = new RecordingPeer('good')
    doc.join(bad)
    doc.join(good)
    doc.receive(bad, { type: 'sync-step1', stateVector: new Uint8Array([5, 0xff]) }, 1)
    doc.receive(good, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) }, 1)
    await waitFor(() => good.of('sync-step2').length === 1, 'the good answer')
    expect(bad.closedWith?.code).toBe(CloseCode.InvalidUpdate)
    expect(good.closedWith).toBeUndefined()
    await doc.close()
  })
})
