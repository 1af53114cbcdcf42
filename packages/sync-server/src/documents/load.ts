import * as Y from 'yjs'
import { readLogRecord, readSnapshotRecord } from '../storage/records.js'
import type { DocumentStore } from '../storage/store.js'

/** A document's stored data cannot be decoded or applied; it must not be served or overwritten. */
export class DocumentDamagedError extends Error {
  constructor(name: string, detail: string) {
    super(`document "${name}" has damaged stored data: ${detail}`)
    this.name = 'DocumentDamagedError'
  }
}

/** What loading a document yields: its state and where its log continues. */
export interface LoadedDocument {
  ydoc: Y.Doc
  /** The seq the next log entry gets. */
  nextSeq: number
  /** Log entries stored after the snapshot. */
  logEntries: number
  /** Bytes of the stored snapshot (0 without one). */
  snapshotBytes: number
  /** Bytes of the log entries after it. */
  logBytes: number
}

/**
 * Read a document from storage and rebuild it: the snapshot, then every later log entry, in one
 * transaction. Throws {@link DocumentDamagedError} when any stored byte does not decode or apply.
 */
export async function loadDocument(store: DocumentStore, name: string): Promise<LoadedDocument> {
  const stored = await store.read(name)
  const ydoc = new Y.Doc({ gc: true })
  let lastSeq = 0
  try {
    ydoc.transact(() => {
      if (stored.snapshot) {
        const snapshot = readSnapshotRecord(stored.snapshot)
        Y.applyUpdate(ydoc, snapshot.state)
        lastSeq = snapshot.throughSeq
      }
      for (const entry of stored.log) {
        for (const update of readLogRecord(entry.value).updates) Y.applyUpdate(ydoc, update)
        lastSeq = Math.max(lastSeq, entry.seq)
      }
    })
  } catch (error) {
    ydoc.destroy()
    throw new DocumentDamagedError(name, error instanceof Error ? error.message : String(error))
  }
  const logBytes = stored.log.reduce((sum, entry) => sum + entry.value.length, 0)
  return { ydoc, nextSeq: lastSeq + 1, logEntries: stored.log.length, snapshotBytes: stored.snapshot?.length ?? 0, logBytes }
}
