/**
 * The storage contract every backend keeps (the LevelDB adapter, the in-memory one used by unit
 * tests, and fault-injecting wrappers). Values are opaque bytes; records.ts gives them meaning.
 */

/** A document's stored bytes: its snapshot, if any, and its log entries in seq order. */
export interface StoredDocument {
  snapshot: Uint8Array | undefined
  log: Array<{ seq: number; value: Uint8Array }>
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
  /** Release the store; further calls reject. */
  close(): Promise<void>
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
