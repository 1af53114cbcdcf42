/**
 * Changes the server makes itself (the HTTP API, a restore), as opposed to changes a peer sends:
 * who they are recorded as, how they end, and why they can be refused. A change is applied with a
 * {@link ServerChange} as its Yjs origin, so it reaches every peer (none sent it) and whoever
 * watches the document's updates (history) can tell who wrote it. Such a change gets the same
 * admission as a peer's update with write access (shape, integration cost, size, pending bytes),
 * wakes a dormant document, and is stored before anyone sees it.
 */
import * as Y from 'yjs'
import { TOO_MUCH_PENDING } from '../guard/update-admission.js'
import type { VersionMeta } from '../storage/history-records.js'
import type { Integration } from './integration.js'
import { textReplacementUpdate } from './text-field.js'

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

/** What a server change needs of its document. */
export interface ChangeTarget {
  readonly name: string
  /** The live Y.Doc, when the document is awake. */
  readonly ydoc: Y.Doc | undefined
  /** Resolves once the document is awake; wakes it if it is dormant. */
  awake(): Promise<void>
  /** Judge and apply one update to the awake document; whatever it changed is queued for writing. */
  integrate(update: Uint8Array, origin: unknown, access: 'write'): Integration
  /** Resolves when everything applied so far is stored; rejects if a write failed. */
  flushed(): Promise<void>
  /** Cut a version just before `change` runs and one just after (HS9); undefined when history is off. */
  readonly history: { around(change: (ydoc: Y.Doc) => void): Promise<{ before: VersionMeta; restored: VersionMeta } | undefined> }
}

/**
 * Apply `update` to `doc` as a change `origin` makes. Resolves once the change is durable; rejects
 * with {@link ChangeRefusedError} (nothing stored) or {@link DocumentUnavailableError} (closing, or
 * the write failed).
 */
export function applyServerUpdate(doc: ChangeTarget, update: Uint8Array, origin: ServerChange): Promise<ChangeOutcome> {
  return serverChange(doc, () => update.slice(), origin)
}

/** Make `doc`'s text `text` as one minimal-diff change (see text-field.ts); resolves unchanged when it is already `text`. */
export function replaceText(doc: ChangeTarget, text: string, origin: ServerChange): Promise<ChangeOutcome> {
  return serverChange(doc, (ydoc) => textReplacementUpdate(Y.encodeStateAsUpdate(ydoc), text), origin)
}

/**
 * Restore (HS9): make the text `text` like {@link replaceText}, between a `before-restore` version
 * of the state just before it and a `restore` version of the state right after, with nothing else
 * in between. Resolves once the change and both versions are stored, with the versions (undefined
 * when history is off for the document).
 */
export async function restoreText(doc: ChangeTarget, text: string, origin: ServerChange): Promise<{ before: VersionMeta; restored: VersionMeta } | undefined> {
  await doc.awake()
  let outcome: Promise<ChangeOutcome> | undefined
  const versions = await doc.history.around((ydoc) => {
    outcome = applyTo(doc, ydoc, (d) => textReplacementUpdate(Y.encodeStateAsUpdate(d), text), origin)
  })
  await outcome
  return versions
}

async function serverChange(doc: ChangeTarget, make: (ydoc: Y.Doc) => Uint8Array | undefined, origin: ServerChange): Promise<ChangeOutcome> {
  for (;;) {
    await doc.awake()
    // Checked and used in one synchronous stretch: a release cannot drop the Y.Doc in between.
    const ydoc = doc.ydoc
    if (ydoc) return applyTo(doc, ydoc, make, origin)
  }
}

// Build, admit and apply one change synchronously (a refusal throws at once); the promise
// resolves once the change is durable.
function applyTo(doc: ChangeTarget, ydoc: Y.Doc, make: (ydoc: Y.Doc) => Uint8Array | undefined, origin: ServerChange): Promise<ChangeOutcome> {
  const update = make(ydoc)
  const result: Integration = update === undefined ? { verdict: 'known' } : doc.integrate(update, origin, 'write')
  switch (result.verdict) {
    case 'refused':
      throw new ChangeRefusedError('invalid', result.reason)
    case 'denied':
      throw new ChangeRefusedError('full', result.reason)
    case 'failed':
      throw new DocumentUnavailableError(doc.name, 'the update could not be applied; the document is reloaded from storage')
    case 'known':
      return Promise.resolve({ changed: false, vector: Y.encodeStateVector(ydoc) })
  }
  const vector = Y.encodeStateVector(ydoc)
  if (result.overflow) {
    return doc.flushed().then(() => {
      throw new ChangeRefusedError('invalid', TOO_MUCH_PENDING)
    })
  }
  return doc.flushed().then(
    () => ({ changed: result.changed > 0, vector }),
    // A failed write is the server's trouble, not the caller's request: it may be retried (503).
    (error: unknown) => {
      throw new DocumentUnavailableError(doc.name, `the change could not be stored (${error instanceof Error ? error.message : String(error)})`)
    }
  )
}
