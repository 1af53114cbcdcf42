/**
 * Changes the server makes itself (the HTTP API, imports, restores): the same admission as a
 * peer's update, stored before anyone sees them, relayed to every peer, resolving once durable,
 * waking a dormant document and holding it in memory meanwhile, with the author as the origin.
 */
import { waitFor } from '@quire/testkit'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { defaultSettings } from '../src/config.js'
import { DocumentRegistry } from '../src/documents/registry.js'
import { ChangeRefusedError, replaceText, ServerChange } from '../src/documents/server-change.js'
import { replaceTextIn, TEXT_FIELD, textOfUpdate } from '../src/documents/text-field.js'
import { createMetrics } from '../src/metrics.js'
import { MemoryStore } from '../src/storage/memory.js'
import type { DocumentStore } from '../src/storage/store.js'
import { GatedStore, RecordingPeer } from './helpers/peer.js'

const author = { user: 'Ada', verified: true }

function registry(store: DocumentStore, settings: Partial<typeof defaultSettings> = {}) {
  return new DocumentRegistry(store, { ...defaultSettings, releaseAfterMs: 50, unloadGraceMs: 60_000, ...settings }, pino({ level: 'silent' }), createMetrics())
}

function typed(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText(TEXT_FIELD).insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

async function storedText(store: DocumentStore, name: string): Promise<string> {
  const doc = new Y.Doc()
  const { loadDocument } = await import('../src/documents/load.js')
  const loaded = await loadDocument(store, name)
  const text = loaded.ydoc.getText(TEXT_FIELD).toString()
  loaded.ydoc.destroy()
  doc.destroy()
  return text
}

describe('server-side changes', () => {
  it('AP3/DV1: a server change is relayed to every peer only once stored, and resolves only then', async () => {
    const gated = new GatedStore(new MemoryStore())
    const docs = registry(gated)
    const doc = await docs.open('doc')
    const peer = new RecordingPeer('reader')
    doc.join(peer)
    let resolved = false
    const change = docs.applyUpdate('doc', typed('from the server'), author).then((outcome) => {
      resolved = true
      return outcome
    })
    await waitFor(() => gated.waiting === 1, 'the write to start')
    expect(peer.of('sync-update')).toHaveLength(0)
    expect(resolved).toBe(false)
    gated.releaseAll()
    expect((await change).changed).toBe(true)
    expect(peer.of('sync-update')).toHaveLength(1)
    expect(textOfUpdate(peer.of('sync-update')[0]!.update)).toBe('from the server')
    await docs.closeAll()
  })

  it('AP3/DM2: a server change wakes a dormant document, and the origin names its author', async () => {
    const store = new MemoryStore()
    const docs = registry(store)
    await docs.applyUpdate('doc', typed('first'), author)
    const doc = await docs.open('doc')
    await waitFor(() => doc.ydoc === undefined, 'the document to go dormant')
    const outcome = docs.withDocument('doc', (held) => replaceText(held, 'first, then second', new ServerChange(author, 'api')))
    expect((await outcome).changed).toBe(true)
    expect(doc.ydoc).toBeDefined()
    expect(await storedText(store, 'doc')).toBe('first, then second')
    // Whoever watches the document's updates (history) sees who wrote a server change.
    const origins: unknown[] = []
    doc.ydoc!.on('update', (_update: Uint8Array, origin: unknown) => origins.push(origin))
    await docs.replaceText('doc', 'first, then third', { user: 'Bob', verified: false }, 'import')
    expect(origins).toHaveLength(1)
    expect(origins[0]).toBeInstanceOf(ServerChange)
    expect((origins[0] as ServerChange).author).toEqual({ user: 'Bob', verified: false })
    expect((origins[0] as ServerChange).kind).toBe('import')
    await docs.closeAll()
  })

  it('AP2: replacing the text keeps unchanged characters (their Yjs items) and a concurrent edit survives', async () => {
    const store = new MemoryStore()
    const docs = registry(store)
    await docs.replaceText('doc', 'alpha beta gamma', author)
    // A client that has the text, then edits it while offline (concurrently with the replacement).
    const client = new Y.Doc()
    Y.applyUpdate(client, (await docs.withDocument('doc', (doc) => doc.readState())).update)
    const ctext = client.getText(TEXT_FIELD)
    const alpha = Y.createRelativePositionFromTypeIndex(ctext, 2)
    const before = Y.encodeStateVector(client)
    ctext.insert(ctext.length, '!')
    const offline = Y.encodeStateAsUpdate(client, before)
    await docs.replaceText('doc', 'alpha BETA gamma', author)
    await docs.applyUpdate('doc', offline, { user: 'client', verified: false })
    Y.applyUpdate(client, (await docs.withDocument('doc', (doc) => doc.readState())).update)
    expect(ctext.toString()).toBe('alpha BETA gamma!')
    expect(await storedText(store, 'doc')).toBe('alpha BETA gamma!')
    // "alpha" was not rewritten: a position inside it still resolves there.
    expect(Y.createAbsolutePositionFromRelativePosition(alpha, client)?.index).toBe(2)
    await docs.closeAll()
  })

  it('AP2: replaceTextIn applies the minimal diff, including surrogate pairs, in one transaction', () => {
    const doc = new Y.Doc()
    const text = doc.getText(TEXT_FIELD)
    text.insert(0, 'a 😀 b c')
    let transactions = 0
    doc.on('afterTransaction', () => transactions++)
    expect(replaceTextIn(doc, 'a 😀 B c 😺', 'me')).toBe(true)
    expect(text.toString()).toBe('a 😀 B c 😺')
    expect(transactions).toBe(1)
    expect(replaceTextIn(doc, 'a 😀 B c 😺', 'me')).toBe(false)
  })

  it('AP3/HI2: a malformed server update or one past the size limit is refused and stores nothing', async () => {
    const store = new MemoryStore()
    const docs = registry(store, { maxDocumentBytes: 200 })
    await docs.replaceText('doc', 'small', author)
    const bytes = await store.size('doc')
    await expect(docs.applyUpdate('doc', new Uint8Array([1, 2, 3, 4, 5]), author)).rejects.toMatchObject({ kind: 'invalid' })
    const huge = docs.replaceText('doc', 'x'.repeat(500), author)
    await expect(huge).rejects.toBeInstanceOf(ChangeRefusedError)
    await expect(huge).rejects.toMatchObject({ kind: 'full' })
    await docs.closeAll()
    expect(await store.size('doc')).toBe(bytes)
    expect(await storedText(store, 'doc')).toBe('small')
  })

  it('DM3: withDocument keeps a document without peers in memory until it settles, then it unloads', async () => {
    const store = new MemoryStore()
    const docs = registry(store, { unloadGraceMs: 20 })
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const using = docs.withDocument('doc', async () => {
      await gate
    })
    await waitFor(() => docs.size === 1, 'the document to load')
    // Several grace periods pass while it is in use.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(docs.size).toBe(1)
    release()
    await using
    await waitFor(() => docs.size === 0, 'the document to unload once released')
    await docs.closeAll()
  })

  it('AP7/SC1: delete closes peers with 4410, removes what is stored, and the name starts empty again', async () => {
    const store = new MemoryStore()
    const docs = registry(store)
    await docs.replaceText('doc', 'to be deleted', author)
    await docs.replaceText('other', 'stays', author)
    const doc = await docs.open('doc')
    const peer = new RecordingPeer('peer')
    doc.join(peer)
    expect(await docs.delete('doc')).toBe(true)
    expect(peer.closedWith?.code).toBe(4410)
    expect(await store.size('doc')).toBe(0)
    expect(await store.list({ prefix: '', after: undefined, limit: 10 })).toEqual(['other'])
    expect(await docs.delete('doc')).toBe(false)
    const again = await docs.withDocument('doc', (fresh) => fresh.readState())
    expect(textOfUpdate(again.update)).toBe('')
    await docs.replaceText('doc', 'new life', author)
    expect(await storedText(store, 'doc')).toBe('new life')
    await docs.closeAll()
  })

  it('AP5/CM1: the time of the last change survives compaction and a reload (the snapshot keeps it, not the compaction time)', async () => {
    const store = new MemoryStore()
    const first = registry(store)
    await first.replaceText('doc', 'changed once', author)
    const facts = await first.facts('doc')
    expect(facts.changedAt).toBeDefined()
    // Time passes before the unload compacts the log into a snapshot.
    await new Promise((resolve) => setTimeout(resolve, 30))
    await first.closeAll()
    expect((await store.read('doc')).log).toHaveLength(0)
    const second = registry(store)
    expect((await second.facts('doc')).changedAt).toBe(facts.changedAt)
    const doc = await second.open('doc')
    expect(doc.facts.changedAt).toBe(facts.changedAt)
    await second.closeAll()
  })
})
