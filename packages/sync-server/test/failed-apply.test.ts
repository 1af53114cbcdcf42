/**
 * When Yjs throws halfway through applying an update, the Y.Doc may hold part of it, and Yjs has
 * already reported that part as a change. The guards refuse every shape known to do this, so the
 * failure is injected: an observer on the document's text that throws once the update is
 * integrated (Yjs runs observers inside the apply, after integrating and before returning). The
 * document layer is driven directly, through the registry, over a real LevelDB store.
 */
import { rmSync } from 'node:fs'
import { CloseCode } from '@quire/protocol'
import { tempDataDir, waitFor } from '@quire/testkit'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { defaultSettings } from '../src/config.js'
import { loadDocument } from '../src/documents/load.js'
import { DocumentRegistry } from '../src/documents/registry.js'
import { createMetrics } from '../src/metrics.js'
import { LevelStore } from '../src/storage/leveldb.js'
import { RecordingPeer } from './helpers/peer.js'

const folders: string[] = []
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

/** An update from a client of its own that inserts `text` at the start. */
function insert(client: number, text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = client
  doc.getText('codemirror').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

/** The text an update inserts, applied to an empty document. */
function textOf(update: Uint8Array): string {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  return doc.getText('codemirror').toString()
}

describe('an update Yjs fails to apply', () => {
  it('F5/F9: is neither stored nor relayed; earlier queued changes are; the document reloads from storage agreeing with it', async () => {
    const dataDir = tempDataDir()
    folders.push(dataDir)
    const store = await LevelStore.open(dataDir, { sync: false })
    const metrics = createMetrics()
    const registry = new DocumentRegistry(store, { ...defaultSettings, unloadGraceMs: 60_000 }, pino({ level: 'silent' }), metrics)
    try {
      const doc = await registry.open('doc')
      const sender = new RecordingPeer('sender', new Set(['ack']))
      const watcher = new RecordingPeer('watcher')
      doc.join(sender)
      doc.join(watcher)
      doc.receive(sender, { type: 'sync-update', update: insert(1, 'stored ') }, 1)
      await doc.flushed()
      // Yjs will throw once it has integrated the text "lost" (and reported it as a change).
      const text = doc.ydoc!.getText('codemirror')
      text.observe(() => {
        if (text.toString().includes('lost')) throw new Error('injected failure inside Yjs')
      })
      // The first is still being written when the second fails: it must be stored and relayed all the same.
      doc.receive(sender, { type: 'sync-update', update: insert(2, 'queued ') }, 2)
      doc.receive(sender, { type: 'sync-update', update: insert(3, 'lost') }, 3)
      expect(sender.closedWith?.code).toBe(CloseCode.InvalidUpdate)
      expect(doc.isClosed).toBe(true)
      expect(registry.size).toBe(0)
      // Once the queued change is written, every other peer is sent away to reconnect and load the document again.
      await waitFor(() => watcher.closedWith !== undefined, 'the watcher to be closed')
      expect(watcher.closedWith?.code).toBe(CloseCode.InternalError)
      await registry.open('doc') // waits for the close to finish
      expect(watcher.of('sync-update').map((frame) => textOf(frame.update))).toEqual(['stored ', 'queued '])
      expect(sender.of('ack').map((frame) => frame.index)).toEqual([1, 2])
      const reloaded = await loadDocument(store, 'doc')
      expect(reloaded.ydoc.getText('codemirror').toString()).toBe(textOf(Y.mergeUpdates([insert(1, 'stored '), insert(2, 'queued ')])))
      reloaded.ydoc.destroy()
      const errors = await metrics.registry.getSingleMetricAsString('quire_errors_total')
      expect(errors).toContain('kind="apply"} 1')
    } finally {
      await registry.closeAll()
      await store.close()
    }
  })
})
