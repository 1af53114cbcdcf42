/**
 * Read what a server left on disk, for checks after it has stopped.
 */
import { loadDocument } from '../../src/documents/load.js'
import { LevelStore } from '../../src/storage/leveldb.js'

/** What is stored for one document: its text, its size in bytes, and how many log entries follow the snapshot. */
export interface StoredDocument {
  text: string
  bytes: number
  logEntries: number
}

/** Load `name` from the data folder of a stopped server with a fresh LevelStore (closed again before returning). */
export async function storedDocument(dataDir: string, name: string): Promise<StoredDocument> {
  const store = await LevelStore.open(dataDir, { sync: false })
  try {
    const loaded = await loadDocument(store, name)
    const text = loaded.ydoc.getText('codemirror').toString()
    loaded.ydoc.destroy()
    return { text, bytes: await store.size(name), logEntries: loaded.logEntries }
  } finally {
    await store.close()
  }
}
