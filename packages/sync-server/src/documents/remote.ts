/**
 * The "remote updates" seam: what a document hears from other instances sharing its log (cluster
 * mode, CL3–CL5). Without a feed (one process) nothing here is used. The feed delivers stored
 * log entries in seq order, so whatever reaches a document this way is already durable and may be
 * relayed at once; presence passes through and is never stored.
 */

/** Entries other instances append to a shared log, and the presence they pass on. */
export interface RemoteFeed {
  /**
   * Start hearing about `name`. Called before the document is read, so that nothing appended
   * after the read goes unheard; deliveries start with {@link RemoteFollow.start}.
   */
  follow(name: string): Promise<RemoteFollow>
}

/** One document's subscription to the feed. */
export interface RemoteFollow {
  /** Deliver to `target` everything stored after `target.applied()`, now and from now on. */
  start(target: RemoteTarget): void
  /** Fetch and deliver everything stored now; resolves once delivered (after a refused append). */
  catchUp(): Promise<void>
  /** One read of what is stored now, delivered; rejects if the read fails. Never waits behind a busy feed. */
  readOnce(): Promise<void>
  /** Pass a presence update of a local peer to the other instances. */
  presence(update: Uint8Array): void
  /** Stop hearing about the document. */
  stop(): void
}

/** What a document offers the feed. */
export interface RemoteTarget {
  /** The seq through which every stored entry is in the document. */
  applied(): number
  /** A snapshot reaching past `applied()`; the entries it covers are gone from the log. */
  snapshot(value: Uint8Array, through: number): void
  /** The next stored entry after `applied()`; `own` when this instance appended it (its changes are in the document already). */
  entry(seq: number, value: Uint8Array, own: boolean): void
  /** An awareness update from another instance's peers. */
  presence(update: Uint8Array): void
  /** How many times the document had been deleted when it was read (CL11). */
  generation(): number
  /** The document was deleted (by any instance) since it was read: its clients must be told, and it must go. */
  deleted(): void
}

/** The transaction origin of changes another instance stored: history leaves them to the instance that wrote them. */
export const REMOTE_ORIGIN = Symbol('remote')
