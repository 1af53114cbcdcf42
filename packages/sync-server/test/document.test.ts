/**
 * The document layer's promises, observed through a store whose writes we hold back:
 * nothing reaches another peer before it is stored, and a failed write reaches nobody.
 */
import { CloseCode } from '@quire/protocol'
import { waitFor } from '@quire/testkit'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SharedDocument } from '../src/documents/document.js'
import { loadDocument } from '../src/documents/load.js'
import { MemoryStore } from '../src/storage/memory.js'
import { documentContext, GatedStore, RecordingPeer } from './helpers/peer.js'

function edit(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('codemirror').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

async function openDoc(store: GatedStore | MemoryStore, name = 'doc') {
  const { ctx, events } = documentContext(store)
  const doc = new SharedDocument(name, await loadDocument(store, name), ctx)
  return { doc, events }
}

describe('SharedDocument', () => {
  it('sends a joining peer the server state vector first', async () => {
    const { doc } = await openDoc(new MemoryStore())
    const peer = new RecordingPeer('a')
    doc.join(peer)
    expect(peer.frames[0]?.type).toBe('sync-step1')
  })

  it('DV1: relays an update only after it is stored', async () => {
    const store = new GatedStore(new MemoryStore())
    const { doc } = await openDoc(store)
    const writer = new RecordingPeer('writer')
    const reader = new RecordingPeer('reader')
    doc.join(writer)
    doc.join(reader)
    doc.receive(writer, { type: 'sync-update', update: edit('hello') }, 1)
    await waitFor(() => store.waiting === 1, 'the write to start')
    expect(reader.of('sync-update')).toHaveLength(0)
    store.releaseAll()
    await doc.flushed()
    expect(reader.of('sync-update')).toHaveLength(1)
    expect(writer.of('sync-update')).toHaveLength(0)
    const check = new Y.Doc()
    Y.applyUpdate(check, reader.of('sync-update')[0]!.update)
    expect(check.getText('codemirror').toString()).toBe('hello')
  })

  it('DV3: answers a sync step 1 only once the state it sends is stored', async () => {
    const store = new GatedStore(new MemoryStore())
    const { doc } = await openDoc(store)
    const writer = new RecordingPeer('writer')
    doc.join(writer)
    doc.receive(writer, { type: 'sync-update', update: edit('unsaved') }, 1)
    const late = new RecordingPeer('late')
    doc.join(late)
    doc.receive(late, { type: 'sync-step1', stateVector: new Uint8Array([0]) }, 1)
    await waitFor(() => store.waiting === 1, 'the write to start')
    expect(late.of('sync-step2')).toHaveLength(0)
    store.releaseAll()
    await doc.flushed()
    const answer = late.of('sync-step2')
    expect(answer).toHaveLength(1)
    const check = new Y.Doc()
    Y.applyUpdate(check, answer[0]!.update)
    expect(check.getText('codemirror').toString()).toBe('unsaved')
  })

  it('DV2/F8: acknowledges update-bearing frames, in order, once durable, only to peers that asked', async () => {
    const store = new GatedStore(new MemoryStore())
    const { doc } = await openDoc(store)
    const acked = new RecordingPeer('acked', new Set(['ack']))
    const stock = new RecordingPeer('stock')
    doc.join(acked)
    doc.join(stock)
    const first = edit('a')
    doc.receive(acked, { type: 'sync-update', update: first }, 2)
    doc.receive(acked, { type: 'sync-step2', update: edit('b') }, 5)
    doc.receive(stock, { type: 'sync-update', update: edit('c') }, 1)
    expect(acked.of('ack')).toHaveLength(0)
    await waitFor(() => store.waiting === 1, 'the write to start')
    store.releaseAll()
    await doc.flushed()
    expect(acked.of('ack').map((frame) => frame.index)).toEqual([2, 5])
    expect(stock.of('ack')).toHaveLength(0)
    // A duplicate changes nothing, and is acknowledged at once.
    doc.receive(acked, { type: 'sync-update', update: first }, 6)
    expect(acked.of('ack').map((frame) => frame.index)).toEqual([2, 5, 6])
  })

  it('DV4: on a failed write: relays nothing, acknowledges nothing, reports the failure; storage keeps the old state', async () => {
    const memory = new MemoryStore()
    const store = new GatedStore(memory)
    const { doc, events } = await openDoc(store)
    const writer = new RecordingPeer('writer', new Set(['ack']))
    const reader = new RecordingPeer('reader')
    doc.join(writer)
    doc.join(reader)
    doc.receive(writer, { type: 'sync-update', update: edit('lost') }, 1)
    await waitFor(() => store.waiting === 1, 'the write to start')
    store.failAll(new Error('disk full'))
    await expect(doc.flushed()).rejects.toThrow('disk full')
    await waitFor(() => events.failed.length === 1, 'the failure to be reported')
    expect(reader.of('sync-update')).toHaveLength(0)
    expect(writer.of('ack')).toHaveLength(0)
    expect((await loadDocument(memory, 'doc')).ydoc.getText('codemirror').toString()).toBe('')
  })

  it('removes the awareness states a peer controlled when it leaves, and tells the others', async () => {
    const { doc, events } = await openDoc(new MemoryStore())
    const a = new RecordingPeer('a')
    const b = new RecordingPeer('b')
    doc.join(a)
    doc.join(b)
    const client = new Y.Doc()
    const { Awareness, encodeAwarenessUpdate } = await import('y-protocols/awareness')
    const awareness = new Awareness(client)
    awareness.setLocalStateField('user', { name: 'Ada' })
    doc.receive(a, { type: 'awareness', update: encodeAwarenessUpdate(awareness, [client.clientID]) }, 1)
    expect(doc.presenceStates.get(client.clientID)).toEqual({ user: { name: 'Ada' } })
    const before = b.of('awareness').length
    doc.leave(a)
    expect(doc.presenceStates.has(client.clientID)).toBe(false)
    expect(b.of('awareness').length).toBe(before + 1)
    doc.leave(b)
    expect(events.idle).toBe(1)
    awareness.destroy()
  })

  it('HI3: closes a peer that sends an update Yjs cannot apply, and keeps the document', async () => {
    const { doc } = await openDoc(new MemoryStore())
    const bad = new RecordingPeer('bad')
    doc.join(bad)
    doc.receive(bad, { type: 'sync-update', update: new Uint8Array([255, 255, 255, 255, 1]) }, 1)
    expect(bad.closedWith?.code).toBe(CloseCode.InvalidUpdate)
  })

  it('HI1: a refused update is counted as invalid_update and a refused presence update as invalid_awareness', async () => {
    const store = new MemoryStore()
    const { ctx } = documentContext(store)
    const doc = new SharedDocument('doc', await loadDocument(store, 'doc'), ctx)
    const badUpdate = new RecordingPeer('bad-update')
    const badPresence = new RecordingPeer('bad-presence')
    doc.join(badUpdate)
    doc.join(badPresence)
    doc.receive(badUpdate, { type: 'sync-update', update: new Uint8Array([255, 255, 255, 255, 1]) }, 1)
    doc.receive(badPresence, { type: 'awareness', update: new Uint8Array([255, 255, 255, 255, 1]) }, 1)
    expect(badUpdate.closedWith?.code).toBe(CloseCode.InvalidUpdate)
    expect(badPresence.closedWith).toBeDefined()
    const counted = await ctx.metrics.registry.getSingleMetricAsString('quire_rejected_connections_total')
    expect(counted).toContain('reason="invalid_update"} 1')
    expect(counted).toContain('reason="invalid_awareness"} 1')
    await doc.close()
  })
})
