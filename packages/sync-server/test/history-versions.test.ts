/**
 * History below the server process (SPEC.md HS): cutting versions from a Y.Doc, reading them
 * back, authors, retention. Seeded random edits; a failure prints its seed (QUIRE_SEED replays it).
 */
import { readHistoryEvent } from '@quire/protocol'
import { rng, waitFor, withSeed } from '@quire/testkit'
import { describe, expect, it } from 'vitest'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { SharedDocument } from '../src/documents/document.js'
import { loadDocument } from '../src/documents/load.js'
import { cutVersion, EMPTY_BASE, type VersionBase } from '../src/history/delta.js'
import { applyRetention, retentionPlan } from '../src/history/retention.js'
import { HistoryReader } from '../src/history/versions.js'
import { readHeadRecord, readVersionRecord, writeVersionRecord } from '../src/storage/history-records.js'
import { MemoryStore } from '../src/storage/memory.js'
import { documentContext, RecordingPeer } from './helpers/peer.js'

function randomEdit(text: Y.Text, random: () => number): void {
  const length = text.length
  if (length > 0 && random() < 0.3) {
    const at = Math.floor(random() * length)
    text.delete(at, Math.min(length - at, 1 + Math.floor(random() * 20)))
  } else {
    text.insert(Math.floor(random() * (length + 1)), 'abcdefghij '.slice(0, 1 + Math.floor(random() * 10)))
  }
}

describe('cutting versions', () => {
  it('HS1: every version opens to exactly the text the document had when it was cut, and added/removed count the characters changed (random edits, two writers)', async () => {
    await withSeed(1201, (seed) => {
      const random = rng(seed)
      const a = new Y.Doc()
      const b = new Y.Doc()
      a.on('update', (u: Uint8Array) => Y.applyUpdate(b, u))
      b.on('update', (u: Uint8Array) => Y.applyUpdate(a, u))
      let base: VersionBase = EMPTY_BASE
      const deltas: Uint8Array[] = []
      const texts: string[] = []
      let previous = ''
      for (let v = 0; v < 40; v++) {
        const edits = Math.floor(random() * 30)
        for (let i = 0; i < edits; i++) randomEdit((random() < 0.5 ? a : b).getText('codemirror'), random)
        const cut = cutVersion(a, base)
        base = cut.base
        deltas.push(cut.delta)
        const text = a.getText('codemirror').toString()
        texts.push(text)
        // Net change: at least what a plain diff of lengths says.
        expect(cut.added - cut.removed).toBe(text.length - previous.length)
        previous = text
      }
      const replay = new Y.Doc()
      deltas.forEach((delta, i) => {
        Y.applyUpdate(replay, delta)
        expect(replay.getText('codemirror').toString(), `version ${i + 1}`).toBe(texts[i])
      })
    })
  })

  it('HS1: versions store only the deletions they made, so all of them together stay near the size of the document', () => {
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    const random = rng(7)
    let base: VersionBase = EMPTY_BASE
    let total = 0
    for (let v = 0; v < 100; v++) {
      for (let i = 0; i < 30; i++) randomEdit(text, random)
      const cut = cutVersion(doc, base)
      base = cut.base
      total += cut.delta.length
    }
    // Without stripping, each version would carry the whole delete set again.
    expect(total).toBeLessThan(3 * Y.encodeStateAsUpdate(doc).length)
  })
})

describe('the recorder in a document', () => {
  class Client {
    readonly doc = new Y.Doc()
    readonly text = this.doc.getText('codemirror')
    type(at: number, chars: string): Uint8Array {
      const before = Y.encodeStateVector(this.doc)
      this.text.insert(at, chars)
      return Y.encodeStateAsUpdate(this.doc, before)
    }
  }

  it('HS2/HS3/HS4: a version is cut after the idle time, stored with its authors (token user verified, presence name not), and announced only to clients that asked', async () => {
    const store = new MemoryStore()
    const { ctx } = documentContext(store, 1000, { historyIdleMs: 100, releaseAfterMs: 60_000 })
    const doc = new SharedDocument('doc', await loadDocument(store, 'doc'), ctx)
    const ada = new RecordingPeer('ada', new Set(['history']), 'write', 'Ada')
    const bob = new RecordingPeer('bob', new Set(), 'write')
    doc.join(ada)
    doc.join(bob)
    const bobPresence = new Awareness(new Y.Doc())
    bobPresence.setLocalState({ user: { name: 'bob (unverified)', color: '#ff0000' } })
    doc.receive(bob, { type: 'awareness', update: encodeAwarenessUpdate(bobPresence, [bobPresence.clientID]) }, 1)
    const adaDoc = new Client()
    const bobDoc = new Client()
    doc.receive(ada, { type: 'sync-update', update: adaDoc.type(0, 'hello ') }, 2)
    doc.receive(bob, { type: 'sync-update', update: bobDoc.type(0, 'world') }, 2)
    await waitFor(() => ada.of('history').length === 1, 'the version to be announced')
    const event = readHistoryEvent(ada.of('history')[0]!.json)
    expect(event.event).toBe('version')
    expect(event.version.kind).toBe('edit')
    expect(event.version.added).toBe(11)
    expect(event.version.authors).toEqual(
      expect.arrayContaining([
        { name: 'Ada', verified: true, color: null },
        { name: 'bob (unverified)', verified: false, color: '#ff0000' }
      ])
    )
    expect(bob.of('history')).toHaveLength(0)
    const history = await store.readHistory('doc')
    expect(history.versions.map((v) => v.id)).toEqual([1])
    const reader = new HistoryReader('doc', history)
    const live = doc.ydoc!.getText('codemirror').toString()
    expect(reader.text(0)).toBe(live)
    // Authorship: each stretch is attributed to whoever typed it.
    const built = reader.build(0)
    const spans = reader.authorship(built)
    built.destroy()
    const byName = spans.map((span) => [live.slice(span.from, span.to), span.author.name])
    expect(byName).toEqual(expect.arrayContaining([expect.arrayContaining(['Ada'])]))
    for (const [stretch, name] of byName) expect(name === 'Ada' ? 'hello ' : 'world').toContain(stretch)
    await doc.close()
  })

  it('HS5: a document stored before history existed gets its stored state as a first version of kind import', async () => {
    const store = new MemoryStore()
    const seed = new Y.Doc()
    seed.getText('codemirror').insert(0, 'old text')
    await store.append('doc', 1, (await import('../src/storage/records.js')).writeLogRecord({ timestamp: 1, updates: [Y.encodeStateAsUpdate(seed)] }))
    const { ctx } = documentContext(store, 1000, { historyIdleMs: 100, releaseAfterMs: 60_000 })
    const doc = new SharedDocument('doc', await loadDocument(store, 'doc'), ctx)
    const peer = new RecordingPeer('p')
    doc.join(peer)
    const client = new Y.Doc()
    Y.applyUpdate(client, Y.encodeStateAsUpdate(seed))
    const before = Y.encodeStateVector(client)
    client.getText('codemirror').insert(8, ', new text')
    doc.receive(peer, { type: 'sync-update', update: Y.encodeStateAsUpdate(client, before) }, 1)
    await waitFor(async () => (await store.readHistory('doc')).versions.length === 2, 'the import and the edit')
    const reader = new HistoryReader('doc', await store.readHistory('doc'))
    expect(reader.versions.map((v) => v.kind)).toEqual(['import', 'edit'])
    expect(reader.text(0)).toBe('old text')
    expect(reader.text(1)).toBe('old text, new text')
    await doc.close()
  })

  it('HS11: with history off, no version is recorded', async () => {
    const store = new MemoryStore()
    const { ctx } = documentContext(store, 1000, { history: 'off', historyIdleMs: 100, releaseAfterMs: 200 })
    const doc = new SharedDocument('doc', await loadDocument(store, 'doc'), ctx)
    const peer = new RecordingPeer('p')
    doc.join(peer)
    doc.receive(peer, { type: 'sync-update', update: new Client().type(0, 'x') }, 1)
    await waitFor(() => doc.ydoc === undefined, 'the document to go dormant')
    await doc.close()
    expect(await store.readHistory('doc')).toEqual({ head: undefined, versions: [] })
  })
})

describe('retention', () => {
  it('HS6: merging keeps named versions and every kept version opens to the same text; merged ones are gone', async () => {
    const store = new MemoryStore()
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    const random = rng(99)
    let base: VersionBase = EMPTY_BASE
    const hour = 3_600_000
    const now = 100 * hour
    const texts = new Map<number, string>()
    const put: Array<{ id: number; value: Uint8Array }> = []
    for (let id = 1; id <= 30; id++) {
      for (let i = 0; i < 10; i++) randomEdit(text, random)
      const cut = cutVersion(doc, base)
      base = cut.base
      // Ten versions an hour, starting 3 hours ago.
      const end = now - 3 * hour + id * (hour / 10)
      const label = id === 7 || id === 12 ? `named ${id}` : null
      put.push({
        id,
        value: writeVersionRecord({ id, start: end - 1000, end, kind: 'edit', label, added: cut.added, removed: cut.removed, authors: [], delta: cut.delta })
      })
      texts.set(id, text.toString())
    }
    const { writeHeadRecord } = await import('../src/storage/history-records.js')
    await store.writeHistory('doc', { put, delete: [], head: writeHeadRecord({ lastId: 30, enabled: true, prunedAt: 0, bytes: 0, sinceCheckpoint: 0, base }) })
    // Detail for 1 hour: versions older than that merge per hour; keep forever.
    const merged = await applyRetention(store, 'doc', { historyDetailMs: hour, historyKeepMs: 0 }, now)
    expect(merged).toBeGreaterThan(10)
    const after = new HistoryReader('doc', await store.readHistory('doc'))
    const ids = after.versions.map((v) => v.id)
    expect(ids).toContain(7)
    expect(ids).toContain(12)
    expect(ids).toContain(30)
    after.versions.forEach((version, index) => expect(after.text(index), `version ${version.id}`).toBe(texts.get(version.id)))
    expect(after.versions.find((v) => v.id === 7)?.label).toBe('named 7')
    // Keep only an hour: everything older merges into one version between named ones.
    await applyRetention(store, 'doc', { historyDetailMs: 0, historyKeepMs: hour }, now)
    const kept = new HistoryReader('doc', await store.readHistory('doc'))
    expect(kept.versions.filter((v) => v.end < now - hour && v.label === null).length).toBeLessThanOrEqual(3)
    kept.versions.forEach((version, index) => expect(kept.text(index)).toBe(texts.get(version.id)))
    expect(readHeadRecord((await store.readHistory('doc')).head!).prunedAt).toBe(now)
    expect(readVersionRecord((await store.readHistory('doc')).versions[0]!.value).kind).toBe('edit')
  })

  it('HS6: the plan never merges named versions and keeps recent ones apart', () => {
    const hour = 3_600_000
    const now = 10 * hour
    const versions = [
      { end: 1 * hour + 1, label: null },
      { end: 1 * hour + 2, label: null },
      { end: 1 * hour + 3, label: 'x' },
      { end: 1 * hour + 4, label: null },
      { end: 2 * hour + 1, label: null },
      { end: now - 1, label: null },
      { end: now, label: null }
    ]
    expect(retentionPlan(versions, { historyDetailMs: hour, historyKeepMs: 0 }, now)).toEqual([[0, 1]])
    expect(retentionPlan(versions, { historyDetailMs: 0, historyKeepMs: hour }, now)).toEqual([
      [0, 1],
      [3, 4]
    ])
    expect(retentionPlan(versions, { historyDetailMs: 0, historyKeepMs: 0 }, now)).toEqual([])
  })
})

describe('checkpoints', () => {
  it('HS1: a long history stores a checkpoint now and then within its budget, and every version still opens to its text', async () => {
    const { encodeVersion, CHECKPOINT_BUDGET, CHECKPOINT_VERSIONS } = await import('../src/history/checkpoints.js')
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    const random = rng(4242)
    let base: VersionBase = EMPTY_BASE
    const progress = { bytes: 0, sinceCheckpoint: 0 }
    const versions: Array<{ id: number; value: Uint8Array }> = []
    const texts: string[] = []
    for (let id = 1; id <= 3 * CHECKPOINT_VERSIONS; id++) {
      for (let i = 0; i < 5; i++) randomEdit(text, random)
      const cut = cutVersion(doc, base)
      base = cut.base
      versions.push({
        id,
        value: encodeVersion(
          progress,
          { id, start: id, end: id, kind: 'edit', label: null, added: cut.added, removed: cut.removed, authors: [], delta: cut.delta },
          () => Y.encodeStateAsUpdate(doc)
        )
      })
      texts.push(text.toString())
    }
    const reader = new HistoryReader(`checkpoints-${Date.now()}`, { head: undefined, versions })
    const checkpointed = reader.versions.filter((v) => v.checkpointed).map((v) => v.id)
    expect(checkpointed.length).toBeGreaterThan(0)
    expect(progress.bytes).toBe(versions.reduce((sum, v) => sum + v.value.length, 0))
    expect(progress.bytes).toBeLessThanOrEqual(CHECKPOINT_BUDGET * Y.encodeStateAsUpdate(doc).length)
    // Open each version from scratch (no cache: a fresh name), including those just after a checkpoint.
    for (const index of [0, checkpointed[0]! - 1, checkpointed[0]!, versions.length - 1]) {
      expect(new HistoryReader(`fresh-${index}-${Date.now()}`, { head: undefined, versions }).text(index), `version ${index + 1}`).toBe(texts[index])
    }
  })
})
