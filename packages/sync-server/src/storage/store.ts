/**
 * The storage contract every backend keeps (the LevelDB adapter, the in-memory one used by unit
 * tests, and fault-injecting wrappers). Values are opaque bytes; records.ts gives them meaning.
 */

/** A document's stored bytes: its snapshot, if any, and its log entries in seq order. */
export interface StoredDocument {
  snapshot: Uint8Array | undefined
  log: Array<{ seq: number; value: Uint8Array }>
  /**
   * A shared store (cluster mode): how many times the name was deleted when this was read. The
   * document's writes name it, so that none lands after a deletion it has not heard of (CL11).
   */
  generation?: number
}

/** One stored key and its value, as a backup copies it. */
export type StoredEntry = [key: string, value: Uint8Array]

/**
 * A read of the whole store as it was at one instant (a LevelDB snapshot, taken when the reader
 * is made): writes made while it is read are not seen, so a copy is consistent.
 */
export interface SnapshotReader {
  /** Up to about `max` further entries, in key order; none once everything is read. */
  read(max: number): Promise<StoredEntry[]>
  /** Release the snapshot; call it whether or not everything was read. */
  close(): Promise<void>
}

/** A document's history: its head record and its version records in id order (history-records.ts). */
export interface StoredHistory {
  head: Uint8Array | undefined
  versions: Array<{ id: number; value: Uint8Array }>
}

/** One atomic change to a document's history. */
export interface HistoryWrite {
  /** Version records to store (replacing any with the same id). */
  put: Array<{ id: number; value: Uint8Array }>
  /** Version ids to delete. */
  delete: number[]
  /** The new head record. */
  head: Uint8Array
  /**
   * When given, write only if the stored head is this one (`null`: there is none); else throw
   * {@link HistoryConflictError} and write nothing. How instances sharing a document take turns (HS13).
   */
  expect?: Uint8Array | null
  /** The generation the document was read at (see {@link StoredDocument.generation}). */
  generation?: number
}

/** Where documents live between loads. */
export interface DocumentStore {
  /** Everything stored for `name`; an unknown document is an empty one. */
  read(name: string): Promise<StoredDocument>
  /** Append one log entry. Resolves once it is written (synced, if the store was opened so). */
  append(name: string, seq: number, value: Uint8Array, generation?: number): Promise<void>
  /**
   * In one atomic write: store `snapshot` and delete every log entry with seq ≤ `throughSeq`.
   * A crash leaves either the old state or the new one.
   */
  compact(name: string, snapshot: Uint8Array, throughSeq: number, generation?: number): Promise<void>
  /** Bytes stored for `name` (snapshot plus log values). */
  size(name: string): Promise<number>
  /** The history head of `name`, if it has one: all a version cut needs (never read at load). */
  readHistoryHead(name: string): Promise<Uint8Array | undefined>
  /** The history of `name`: head and every version record. */
  readHistory(name: string): Promise<StoredHistory>
  /** In one atomic write: put and delete version records and replace the head. A crash leaves the old history or the new. */
  writeHistory(name: string, write: HistoryWrite): Promise<void>
  /**
   * Names of stored documents (those with a snapshot or a log entry) starting with `prefix`,
   * after `after` if given, in ascending (UTF-16 code unit = byte, names being ASCII) order, at
   * most `limit`. For paging: pass the last name of one page as `after` of the next.
   */
  list(options: { prefix: string; after: string | undefined; limit: number }): Promise<string[]>
  /** In one atomic write: remove everything stored for `name` (it then reads as empty; the name can be used again). */
  delete(name: string): Promise<void>
  /** Release the store; further calls reject. */
  close(): Promise<void>
  /** Read everything stored at this instant, for an online backup; a backend that cannot leaves it out. */
  snapshot?(): SnapshotReader
}

/**
 * A shared log (several instances append to one document) refused an append because another
 * instance stored that seq first. Nothing was written; the caller applies what it missed and
 * appends again after it. Single-instance stores never throw it.
 */
export class SeqConflictError extends Error {
  constructor(
    readonly document: string,
    readonly seq: number,
    /** The highest seq stored for the document. */
    readonly stored: number
  ) {
    super(`seq ${seq} of "${document}" is taken (stored up to ${stored})`)
    this.name = 'SeqConflictError'
  }
}

/**
 * A shared store refused a write because the document was deleted after the writer read it (its
 * generation is older, CL11). Nothing was written; the writer's copy of the document must go.
 */
export class DocumentGoneError extends Error {
  constructor(readonly document: string) {
    super(`document "${document}" was deleted`)
    this.name = 'DocumentGoneError'
  }
}

/** A history write expected another head than the stored one (HS13). Nothing was written; read the head again. */
export class HistoryConflictError extends Error {
  constructor(readonly document: string) {
    super(`the history of "${document}" changed meanwhile`)
    this.name = 'HistoryConflictError'
  }
}
