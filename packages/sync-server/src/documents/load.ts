import { CloseCode } from '@quire/protocol'
import * as Y from 'yjs'
import { readLogRecord, readSnapshotRecord } from '../storage/records.js'
import type { DocumentStore, StoredDocument } from '../storage/store.js'

/** A document's stored data cannot be decoded or applied; it must not be served or overwritten. */
export class DocumentDamagedError extends Error {
  constructor(name: string, detail: string) {
    super(`document "${name}" has damaged stored data: ${detail}`)
    this.name = 'DocumentDamagedError'
  }
}

/** How a connection is closed when its document cannot be read: the close code, reason and metric label. */
export function loadFailure(error: unknown): { code: number; reason: string; metric: string } {
  return error instanceof DocumentDamagedError
    ? { code: CloseCode.DocumentDamaged, reason: 'stored document data is damaged; an operator must look at it', metric: 'document_damaged' }
    : { code: CloseCode.LoadFailed, reason: 'document could not be loaded; try again later', metric: 'load_failed' }
}

/** What loading a document yields: its state and where its log continues. */
export interface LoadedDocument {
  /** The state as a Y.Doc, when it was built; a document loaded without one starts dormant. */
  ydoc?: Y.Doc
  /** The state as one update, with its state vector, when no Y.Doc was built. */
  state?: { update: Uint8Array; vector: Uint8Array }
  /** The seq the next log entry gets. */
  nextSeq: number
  /** Log entries stored after the snapshot. */
  logEntries: number
  /** Bytes of the stored snapshot (0 without one). */
  snapshotBytes: number
  /** Bytes of the log entries after it. */
  logBytes: number
  /** When the latest stored change was written (ms since the epoch); undefined for a document with nothing stored. */
  changedAt?: number | undefined
  /** Cluster mode: how many times the name had been deleted when it was read (CL11). */
  generation?: number | undefined
}

/**
 * Read a document from storage and rebuild it: the snapshot, then every later log entry, in one
 * transaction. Throws {@link DocumentDamagedError} when any stored byte does not decode or apply.
 */
export async function loadDocument(store: DocumentStore, name: string): Promise<LoadedDocument & { ydoc: Y.Doc }> {
  const stored = await store.read(name)
  const ydoc = new Y.Doc({ gc: true })
  let found: ReturnType<typeof storedUpdates>
  try {
    found = storedUpdates(stored)
    ydoc.transact(() => {
      for (const update of found.updates) Y.applyUpdate(ydoc, update)
    })
  } catch (error) {
    ydoc.destroy()
    throw damaged(name, error)
  }
  return { ydoc, ...where(stored, found) }
}

/**
 * Read a document's stored state as one update and its state vector, without building a Y.Doc:
 * what a document starts from, answering readers as is until the first change. Every stored byte
 * is decoded; throws {@link DocumentDamagedError} like {@link loadDocument}.
 */
export async function loadState(store: DocumentStore, name: string): Promise<LoadedDocument & { state: { update: Uint8Array; vector: Uint8Array } }> {
  const stored = await store.read(name)
  try {
    const found = storedUpdates(stored)
    const { updates } = found
    const update = updates.length === 0 ? EMPTY_UPDATE : updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates)
    return { state: { update, vector: Y.encodeStateVectorFromUpdate(update) }, ...where(stored, found) }
  } catch (error) {
    throw damaged(name, error)
  }
}

/** Build a Y.Doc from one update (a loaded state). Throws {@link DocumentDamagedError} if it does not apply. */
export function buildDoc(name: string, update: Uint8Array): Y.Doc {
  const ydoc = new Y.Doc({ gc: true })
  try {
    Y.applyUpdate(ydoc, update)
  } catch (error) {
    ydoc.destroy()
    throw damaged(name, error)
  }
  return ydoc
}

/** An update that changes nothing: the state of an empty document. */
export const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc())

function where(stored: StoredDocument, found: { lastSeq: number; changedAt: number | undefined }) {
  const logBytes = stored.log.reduce((sum, entry) => sum + entry.value.length, 0)
  return {
    nextSeq: found.lastSeq + 1,
    logEntries: stored.log.length,
    snapshotBytes: stored.snapshot?.length ?? 0,
    logBytes,
    changedAt: found.changedAt,
    generation: stored.generation
  }
}

/**
 * A stored document's size and when its latest change was written, from its records alone
 * (the updates are not applied). Throws as the records' decoders do on damaged bytes.
 */
export function storedFacts(stored: StoredDocument): { bytes: number; changedAt: number | undefined } {
  const { changedAt } = storedUpdates(stored)
  const bytes = (stored.snapshot?.length ?? 0) + stored.log.reduce((sum, entry) => sum + entry.value.length, 0)
  return { bytes, changedAt }
}

// The snapshot's state, then each log entry's updates, in the order they were stored. A
// snapshot's timestamp is when the latest change it covers was written (see DocumentLog.compact).
function storedUpdates(stored: StoredDocument): { updates: Uint8Array[]; lastSeq: number; changedAt: number | undefined } {
  const updates: Uint8Array[] = []
  let lastSeq = 0
  let changedAt: number | undefined
  if (stored.snapshot) {
    const snapshot = readSnapshotRecord(stored.snapshot)
    updates.push(snapshot.state)
    lastSeq = snapshot.throughSeq
    changedAt = snapshot.timestamp
  }
  for (const entry of stored.log) {
    const record = readLogRecord(entry.value)
    updates.push(...record.updates)
    lastSeq = Math.max(lastSeq, entry.seq)
    changedAt = Math.max(changedAt ?? 0, record.timestamp)
  }
  return { updates, lastSeq, changedAt }
}

function damaged(name: string, error: unknown): DocumentDamagedError {
  return new DocumentDamagedError(name, error instanceof Error ? error.message : String(error))
}
