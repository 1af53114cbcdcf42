/**
 * The storage contract every backend keeps (the LevelDB adapter, the in-memory one used by unit
 * tests, and fault-injecting wrappers). Values are opaque bytes; records.ts gives them meaning.
 */

/** A document's stored bytes: its snapshot, if any, and its log entries in seq order. */
export interface StoredDocument {
  snapshot: Uint8Array | undefined
  log: Array<{ seq: number; value: Uint8Array }>
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

/** Where documents live between loads. */
export interface DocumentStore {
  /** Everything stored for `name`; an unknown document is an empty one. */
  read(name: string): Promise<StoredDocument>
  /** Append one log entry. Resolves once it is written (synced, if the store was opened so). */
  append(name: string, seq: number, value: Uint8Array): Promise<void>
  /**
   * In one atomic write: store `snapshot` and delete every log entry with seq ≤ `throughSeq`.
   * A crash leaves either the old state or the new one.
   */
  compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<void>
  /** Bytes stored for `name` (snapshot plus log values). */
  size(name: string): Promise<number>
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
