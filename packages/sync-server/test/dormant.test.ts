/**
 * Dormant documents: one unchanged for `releaseAfterMs` drops its Y.Doc (after compacting), answers
 * sync requests from storage, and wakes on the next change without losing or reordering frames.
 */
import { CloseCode } from '@quire/protocol'
import { passThrough, waitFor } from '@quire/testkit'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { defaultSettings } from '../src/config.js'
import { SharedDocument } from '../src/documents/document.js'
import { loadDocument, loadState } from '../src/documents/load.js'
import { DocumentRegistry } from '../src/documents/registry.js'
import { createMetrics } from '../src/metrics.js'
import { MemoryStore } from '../src/storage/memory.js'
import type { DocumentStore } from '../src/storage/store.js'
import { documentContext, RecordingPeer } from './helpers/peer.js'

const RELEASE_MS = 100

/** A client's own document, producing the updates it would send. */
class Client {
  readonly doc = new Y.Doc()
  readonly text = this.doc.getText('codemirror')
  type(chars: string): Uint8Array {
    const before = Y.encodeStateVector(this.doc)
    this.text.insert(this.text.length, chars)
    return Y.encodeStateAsUpdate(this.doc, before)
  }
}

async function openDoc(store: DocumentStore, settings = {}) {
  const { ctx, events } = documentContext(store, 1000, { releaseAfterMs: RELEASE_MS, ...settings })
  const doc = new SharedDocument('doc', await loadDocument(store, 'doc'), ctx)
  return { doc, events }
}

async function dormant(doc: SharedDocument): Promise<void> {
  await waitFor(() => doc.ydoc === undefined, 'the document to go dormant')
}

function textOf(...updates: Uint8Array[]): string {
  const doc = new Y.Doc()
  for (const update of updates) Y.applyUpdate(doc, update)
  return doc.getText('codemirror').toString()
}

describe('dormant documents', () => {
  it('an unchanged document compacts, drops its Y.Doc, and answers a new reader from storage', async () => {
    const store = new MemoryStore()
    const { doc } = await openDoc(store)
    const writer = new RecordingPeer('writer')
    const author = new Client()
    doc.join(writer)
    for (const chunk of ['hello', ' ', 'world']) doc.receive(writer, { type: 'sync-update', update: author.type(chunk) }, 1)
    const awakeVector = Y.encodeStateVector(doc.ydoc as Y.Doc)
    await dormant(doc)
    const stored = await store.read('doc')
    expect(stored.log).toHaveLength(0)
    expect(stored.snapshot).toBeDefined()

    const reader = new RecordingPeer('reader')
    doc.join(reader)
    expect(reader.of('sync-step1')[0]?.stateVector).toEqual(awakeVector)
    doc.receive(reader, { type: 'sync-step1', stateVector: new Uint8Array([0]) }, 1)
    doc.receive(reader, { type: 'sync-step2', update: Y.encodeStateAsUpdate(new Y.Doc()) }, 2)
    await waitFor(() => reader.of('sync-step2').length === 1, 'the answer from storage')
    expect(textOf(reader.of('sync-step2')[0]!.update)).toBe('hello world')
    // Neither the read nor the empty step 2 woke it, and both were fine.
    expect(doc.ydoc).toBeUndefined()
    expect(reader.closedWith).toBeUndefined()

    // A reader that has part of the document gets only the rest.
    const partial = new Y.Doc()
    Y.applyUpdate(partial, reader.of('sync-step2')[0]!.update)
    const late = new RecordingPeer('late')
    doc.join(late)
    doc.receive(late, { type: 'sync-step1', stateVector: Y.encodeStateVector(partial) }, 1)
    await waitFor(() => late.of('sync-step2').length === 1, 'the second answer')
    expect(Y.parseUpdateMeta(late.of('sync-step2')[0]!.update).to.size).toBe(0)
    await doc.close()
  })

  it('DM2: a change wakes it: every frame sent while it wakes is applied in order, stored, relayed and acknowledged', async () => {
    const store = new MemoryStore()
    const { doc } = await openDoc(store)
    const a = new RecordingPeer('a', new Set(['ack']))
    const b = new RecordingPeer('b', new Set(['ack']))
    const alice = new Client()
    const bob = new Client()
    doc.join(a)
    doc.join(b)
    doc.receive(a, { type: 'sync-update', update: alice.type('first.') }, 1)
    Y.applyUpdate(bob.doc, Y.encodeStateAsUpdate(alice.doc))
    await dormant(doc)

    const presence = new Awareness(bob.doc)
    presence.setLocalStateField('user', { name: 'Bob' })
    doc.receive(a, { type: 'sync-update', update: alice.type(' one') }, 2)
    expect(doc.ydoc).toBeUndefined()
    doc.receive(b, { type: 'sync-update', update: bob.type(' two') }, 1)
    doc.receive(b, { type: 'awareness', update: encodeAwarenessUpdate(presence, [bob.doc.clientID]) }, 2)
    doc.receive(a, { type: 'sync-update', update: alice.type(' three') }, 3)
    await waitFor(() => doc.ydoc !== undefined, 'the document to wake')
    await doc.settled()

    const expected = (doc.ydoc as Y.Doc).getText('codemirror').toString()
    for (const part of ['first.', ' one', ' two', ' three']) expect(expected).toContain(part)
    expect(a.of('ack').map((ack) => ack.index)).toEqual([1, 2, 3])
    expect(b.of('ack').map((ack) => ack.index)).toEqual([1])
    expect(textOf(Y.encodeStateAsUpdate(alice.doc), ...a.of('sync-update').map((frame) => frame.update))).toBe(expected)
    expect(textOf(Y.encodeStateAsUpdate(bob.doc), ...b.of('sync-update').map((frame) => frame.update))).toBe(expected)
    expect((a.of('awareness').at(-1) as { update: Uint8Array }).update.length).toBeGreaterThan(1)
    expect((await loadDocument(store, 'doc')).ydoc.getText('codemirror').toString()).toBe(expected)
    presence.destroy()
    await doc.close()
  })

  it('a document starts dormant: a fresh reader gets the stored state as it is, and the first change builds the Y.Doc', async () => {
    const store = new MemoryStore()
    const author = new Client()
    const first = await openDoc(store)
    const seed = new RecordingPeer('seed')
    first.doc.join(seed)
    first.doc.receive(seed, { type: 'sync-update', update: author.type('stored before') }, 1)
    await first.doc.close()

    const { ctx } = documentContext(store, 1000, { releaseAfterMs: 60_000 })
    const loaded = await loadState(store, 'doc')
    const doc = new SharedDocument('doc', loaded, ctx)
    expect(doc.ydoc).toBeUndefined()
    const reader = new RecordingPeer('reader', new Set(['ack']))
    doc.join(reader)
    expect(reader.of('sync-step1')[0]?.stateVector).toEqual(Y.encodeStateVector(author.doc))
    doc.receive(reader, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) }, 1)
    expect(reader.of('sync-step2')[0]?.update).toEqual(loaded.state.update)
    doc.receive(reader, { type: 'sync-step2', update: Y.encodeStateAsUpdate(new Y.Doc()) }, 2)
    expect(reader.of('ack').map((ack) => ack.index)).toEqual([2])
    expect(doc.ydoc).toBeUndefined()

    const writer = new RecordingPeer('writer')
    doc.join(writer)
    doc.receive(writer, { type: 'sync-update', update: author.type(', changed after') }, 1)
    expect(doc.ydoc?.getText('codemirror').toString()).toBe('stored before, changed after')
    await doc.settled()
    expect(textOf(reader.of('sync-step2')[0]!.update, ...reader.of('sync-update').map((frame) => frame.update))).toBe('stored before, changed after')
    await doc.close()
  })

  it('presence works while dormant, without waking it', async () => {
    const { doc } = await openDoc(new MemoryStore())
    const a = new RecordingPeer('a')
    const b = new RecordingPeer('b')
    doc.join(a)
    doc.join(b)
    await dormant(doc)
    const client = new Y.Doc()
    const presence = new Awareness(client)
    presence.setLocalStateField('user', { name: 'Ada' })
    doc.receive(a, { type: 'awareness', update: encodeAwarenessUpdate(presence, [client.clientID]) }, 1)
    expect(doc.presenceStates.get(client.clientID)).toEqual({ user: { name: 'Ada' } })
    expect(b.of('awareness')).toHaveLength(1)
    expect(doc.ydoc).toBeUndefined()
    presence.destroy()
    await doc.close()
  })

  it('a document kept busy never goes dormant', async () => {
    const { doc } = await openDoc(new MemoryStore())
    const writer = new RecordingPeer('writer')
    const author = new Client()
    doc.join(writer)
    const started = performance.now()
    // Changes closer together than RELEASE_MS, for several times RELEASE_MS.
    while (performance.now() - started < 5 * RELEASE_MS) {
      doc.receive(writer, { type: 'sync-update', update: author.type('x') }, 1)
      expect(doc.ydoc).toBeDefined()
      await new Promise((resolve) => setTimeout(resolve, RELEASE_MS / 5))
    }
    expect(doc.ydoc).toBeDefined()
    await doc.close()
  })

  it('if waking fails, the document is given up with 4503 and nothing is applied', async () => {
    const memory = new MemoryStore()
    let failReads = false
    const flaky: DocumentStore = passThrough(memory, {
      read: (name: string) => (failReads ? Promise.reject(new Error('disk gone')) : memory.read(name))
    })
    const { doc, events } = await openDoc(flaky)
    const writer = new RecordingPeer('writer')
    const author = new Client()
    doc.join(writer)
    doc.receive(writer, { type: 'sync-update', update: author.type('kept') }, 1)
    await dormant(doc)
    failReads = true
    doc.receive(writer, { type: 'sync-update', update: author.type(' lost') }, 2)
    await waitFor(() => events.failed.length === 1, 'the failure to be reported')
    expect(events.failed[0]?.code).toBe(CloseCode.LoadFailed)
    failReads = false
    expect((await loadDocument(memory, 'doc')).ydoc.getText('codemirror').toString()).toBe('kept')
  })

  it('DM2/L1: a peer that sends more than maxQueuedFrames while its document wakes is closed with 1013; the others are not', async () => {
    const { doc } = await openDoc(new MemoryStore(), { maxQueuedFrames: 5 })
    const flood = new RecordingPeer('flood')
    const calm = new RecordingPeer('calm')
    const author = new Client()
    doc.join(flood)
    doc.join(calm)
    await dormant(doc)
    for (let i = 1; i <= 6; i++) doc.receive(flood, { type: 'sync-update', update: author.type('x') }, i)
    doc.receive(calm, { type: 'query-awareness' }, 1)
    expect(flood.closedWith?.code).toBe(CloseCode.TryAgainLater)
    expect(calm.closedWith).toBeUndefined()
    await waitFor(() => calm.of('awareness').length === 1, 'the calm peer to be answered after the wake')
    await doc.close()
  })

  it('LS2/DM2: a dormant document reads itself back through the registry: a failed wake is refused with 4503 and counted once as a load error', async () => {
    const memory = new MemoryStore()
    let failReads = false
    const flaky: DocumentStore = {
      read: (name) => (failReads ? Promise.reject(new Error('disk gone')) : memory.read(name)),
      append: (...args) => memory.append(...args),
      compact: (...args) => memory.compact(...args),
      size: (name) => memory.size(name),
      readHistoryHead: (name) => memory.readHistoryHead(name),
      readHistory: (name) => memory.readHistory(name),
      writeHistory: (name, write) => memory.writeHistory(name, write),
      list: (options) => memory.list(options),
      delete: (name) => memory.delete(name),
      close: () => memory.close()
    }
    const metrics = createMetrics()
    const registry = new DocumentRegistry(flaky, { ...defaultSettings, releaseAfterMs: RELEASE_MS, unloadGraceMs: 60_000 }, pino({ level: 'silent' }), metrics)
    const doc = await registry.open('doc')
    const writer = new RecordingPeer('writer')
    const author = new Client()
    doc.join(writer)
    doc.receive(writer, { type: 'sync-update', update: author.type('kept') }, 1)
    await dormant(doc)
    failReads = true
    doc.receive(writer, { type: 'sync-update', update: author.type(' lost') }, 2)
    await waitFor(() => writer.closedWith !== undefined, 'the writer to be closed')
    expect(writer.closedWith?.code).toBe(CloseCode.LoadFailed)
    expect(await metrics.registry.getSingleMetricAsString('quire_errors_total')).toContain('kind="load"} 1')
    failReads = false
    await registry.closeAll()
    expect((await loadDocument(memory, 'doc')).ydoc.getText('codemirror').toString()).toBe('kept')
  })

  it('DM2: frames held while a document wakes are bounded in bytes too: past twice the message size, 1013, counted as load_queue_full', async () => {
    const store = new MemoryStore()
    const { ctx } = documentContext(store, 1000, { releaseAfterMs: RELEASE_MS, maxMessageBytes: 1000 })
    const doc = new SharedDocument('doc', await loadDocument(store, 'doc'), ctx)
    const flood = new RecordingPeer('flood')
    const calm = new RecordingPeer('calm')
    const author = new Client()
    doc.join(flood)
    doc.join(calm)
    await dormant(doc)
    // Three frames of about 800 bytes: well under maxQueuedFrames, over 2 × 1000 bytes together.
    for (let i = 1; i <= 3; i++) doc.receive(flood, { type: 'sync-update', update: author.type('x'.repeat(800)) }, i)
    doc.receive(calm, { type: 'query-awareness' }, 1)
    expect(flood.closedWith?.code).toBe(CloseCode.TryAgainLater)
    expect(calm.closedWith).toBeUndefined()
    expect(await ctx.metrics.registry.getSingleMetricAsString('quire_rejected_connections_total')).toContain('reason="load_queue_full"} 1')
    await waitFor(() => calm.of('awareness').length === 1, 'the calm peer to be answered after the wake')
    await doc.close()
  })
})
