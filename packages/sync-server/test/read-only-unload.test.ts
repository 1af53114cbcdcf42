/**
 * A document that is only ever read never builds a Y.Doc, yet a log loaded with it must still be
 * compacted when it unloads, or it would keep growing the cost of every later load.
 */
import { rmSync } from 'node:fs'
import { tempDataDir } from '@quire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SharedDocument } from '../src/documents/document.js'
import { loadState } from '../src/documents/load.js'
import { LevelStore } from '../src/storage/leveldb.js'
import { readLogRecord, readSnapshotRecord, writeLogRecord } from '../src/storage/records.js'
import { documentContext, RecordingPeer } from './helpers/peer.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A store holding `doc` as a log of one entry per edit (no snapshot), with some text deleted. */
async function storeWithLog(): Promise<{ store: LevelStore; text: string; entries: number }> {
  const dir = tempDataDir()
  dirs.push(dir)
  const store = await LevelStore.open(dir, { sync: false })
  const author = new Y.Doc()
  const text = author.getText('codemirror')
  const updates: Uint8Array[] = []
  author.on('update', (update: Uint8Array) => updates.push(update))
  for (let i = 0; i < 50; i++) text.insert(text.length, `line ${i} with some words in it\n`)
  text.delete(0, 400)
  for (const [i, update] of updates.entries()) await store.append('doc', i + 1, writeLogRecord({ timestamp: Date.now(), updates: [update] }))
  return { store, text: text.toString(), entries: updates.length }
}

describe('unloading a document that was only read', () => {
  it.each([
    ['while it still holds the loaded bytes', 60_000],
    ['after it let go of them', 1]
  ])('CM2: compacts its log from the stored bytes (%s), keeping the text', async (_when, releaseAfterMs) => {
    const { store, text, entries } = await storeWithLog()
    try {
      const before = await store.read('doc')
      expect(before.log).toHaveLength(entries)
      const { ctx } = documentContext(store, 100_000, { releaseAfterMs })
      const doc = new SharedDocument('doc', await loadState(store, 'doc'), ctx)
      const reader = new RecordingPeer('reader')
      doc.join(reader)
      doc.receive(reader, { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) }, 1)
      expect(doc.ydoc).toBeUndefined()
      doc.leave(reader)
      await doc.close()

      const after = await store.read('doc')
      expect(after.log).toHaveLength(0)
      const snapshot = readSnapshotRecord(after.snapshot as Uint8Array)
      expect(snapshot.throughSeq).toBe(entries)
      const check = new Y.Doc()
      Y.applyUpdate(check, snapshot.state)
      expect(check.getText('codemirror').toString()).toBe(text)
      // The snapshot is what a live document would have written: deleted text is collected.
      const live = new Y.Doc()
      for (const entry of before.log) for (const update of readLogRecord(entry.value).updates) Y.applyUpdate(live, update)
      expect(snapshot.state.length).toBe(Y.encodeStateAsUpdate(live).length)
    } finally {
      await store.close()
    }
  })
})
