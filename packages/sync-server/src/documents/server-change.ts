/**
 * Changes the server makes itself (the HTTP API, a restore), as opposed to changes a peer sends:
 * who they are recorded as, how they end, and why they can be refused. A change is applied with a
 * {@link ServerChange} as its Yjs origin, so it reaches every peer (none sent it) and whoever
 * watches the document's updates (history) can tell who wrote it.
 */

/** Who wrote a change: a token's `user` claim (verified), or a name nobody vouches for. */
export interface ChangeAuthor {
  user: string | undefined
  verified: boolean
}

/** The Yjs origin of a change the server applies itself. */
export class ServerChange {
  constructor(
    readonly author: ChangeAuthor,
    /** What made it, for logs and history ("api", "import", "restore", ...). */
    readonly kind: string = 'api'
  ) {}
}

/** What a server change did, once it is durable. */
export interface ChangeOutcome {
  /** False when the document already held everything in it (nothing was stored). */
  changed: boolean
  /** The document's state vector just after the change. */
  vector: Uint8Array
}

/** The change was not applied: `invalid` (malformed or too costly; 422) or `full` (past the size limit; 413). Nothing was stored. */
export class ChangeRefusedError extends Error {
  constructor(
    readonly kind: 'invalid' | 'full',
    message: string
  ) {
    super(message)
    this.name = 'ChangeRefusedError'
  }
}

/** The document could not take the change: it is closing, failed, or could not be read back (503). */
export class DocumentUnavailableError extends Error {
  constructor(name: string, detail: string) {
    super(`document "${name}" is unavailable: ${detail}`)
    this.name = 'DocumentUnavailableError'
  }
}
