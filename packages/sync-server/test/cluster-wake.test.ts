/**
 * The document layer's side of the shared log, without processes: a hand-driven feed delivers
 * other instances' entries when the test says so, so that the races the crash suite only hits on
 * a loaded machine (a follower behind a read of storage) happen every time.
 */
import { waitFor } from '@quire/testkit'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SharedDocument } from '../src/documents/document.js'
import { loadState } from '../src/documents/load.js'
import type { RemoteFollow, RemoteTarget } from '../src/documents/remote.js'
import { MemoryStore } from '../src/storage/memory.js'
import { writeLogRecord } from '../src/storage/records.js'
import { documentContext, RecordingPeer } from './helpers/peer.js'

/** A feed that delivers only when told. */
class HandFeed implements RemoteFollow {
  target: RemoteTarget | undefined
  start(target: RemoteTarget): void {
    this.target = target
  }
  async catchUp(): Promise<void> {}
  async readOnce(): Promise<void> {}
  presence(): void {}
  stop(): void {}
}

/** Another instance: a Y.Doc whose changes it stores as log entries of its own. */
class OtherInstance {
  readonly doc = new Y.Doc()
  constructor(private readonly store: MemoryStore) {}
  async type(seq: number, chars: string): Promise<Uint8Array> {
    const before = Y.encodeStateVector(this.doc)
    this.doc.getText('codemirror').insert(this.doc.getText('codemirror').length, chars)
    const record = writeLogRecord({ timestamp: Date.now(), updates: [Y.encodeStateAsUpdate(this.doc, before)] })
    await this.store.append('doc', seq, record)
    return record
  }
}

/** The text a peer can build from what it was relayed. */
function relayedText(peer: RecordingPeer): string {
  const doc = new Y.Doc()
  for (const frame of peer.of('sync-update')) Y.applyUpdate(doc, frame.update)
  return doc.getText('codemirror').toString()
}

describe('cluster: a document and its feed', () => {
  it('CL3: an entry a waking document already read from storage still reaches its peers when the feed delivers it', async () => {
    const store = new MemoryStore()
    const { ctx } = documentContext(store, 1000, { releaseAfterMs: 60_000 })
    const feed = new HandFeed()
    const doc = new SharedDocument('doc', await loadState(store, 'doc'), ctx, feed)
    const reader = new RecordingPeer('reader')
    const writer = new RecordingPeer('writer')
    doc.join(reader)
    doc.join(writer)
    const other = new OtherInstance(store)
    // Delivered while dormant: relayed as is (and the kept encoding is dropped, so waking reads storage).
    feed.target!.entry(1, await other.type(1, 'one '), false)
    // Stored, not yet delivered: the feed is behind (a lost doorbell, a reconnect, a loaded machine).
    const second = await other.type(2, 'two ')
    // A change of the writer wakes the document, which reads storage: entry 2 is in its Y.Doc now.
    const author = new Y.Doc()
    author.getText('codemirror').insert(0, 'three')
    doc.receive(writer, { type: 'sync-update', update: Y.encodeStateAsUpdate(author) }, 1)
    await waitFor(() => doc.ydoc?.getText('codemirror').toString().includes('two') === true, 'the document to wake')
    feed.target!.entry(2, second, false)
    await waitFor(() => relayedText(reader).includes('three'), 'the writer’s change to be relayed')
    expect(relayedText(reader)).toContain('one')
    expect(relayedText(reader), 'the reader never got entry 2, which the document held from its wake').toContain('two')
    await doc.close()
  })
})
