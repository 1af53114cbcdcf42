/**
 * Putting an update into a document's Y.Doc. Yjs reports what an update changed through `update`
 * events while it applies it; those changes are handed on to be written only once the whole
 * update went in, because a throw halfway leaves memory that no longer matches storage and
 * nothing of it may be stored or relayed (HI3). Changes other instances stored (cluster mode) are
 * durable already: what Yjs reports for them is not written again, unless it let in changes of
 * our own peers that were waiting on them.
 */
import * as Y from 'yjs'
import { pendingBytes, savePending } from '../guard/pending.js'
import { type AdmissionLimits, admitUpdate } from '../guard/update-admission.js'
import type { PendingUpdate } from './log.js'
import { REMOTE_ORIGIN } from './remote.js'

/** What came of one update offered to a Y.Doc. */
export type Integration =
  /** Applied; `changed` changes were handed on. `overflow`: it left too much waiting, and what waits was put back as it was before it. */
  | { verdict: 'applied'; changed: number; overflow: boolean }
  /** Nothing new in it; nothing applied. */
  | { verdict: 'known' }
  /** Not allowed to change the document (read-only sender, or the document is full); nothing applied. */
  | { verdict: 'denied'; reason: string; metric: 'document_full' | 'read_only' }
  /** Hostile or broken; nothing applied. */
  | { verdict: 'refused'; reason: string }
  /** Yjs threw while integrating it: memory can no longer be trusted. */
  | { verdict: 'failed'; error: unknown }

/** Where the changes Yjs reports go: the document's write queue. */
export interface ChangeSink {
  write(change: PendingUpdate): void
}

/** One Y.Doc's listener for the changes Yjs reports, and the two ways of applying updates to it. */
export class Integrator {
  // While Yjs applies one update: the changes it reports, handed on only once it has finished.
  private applying: PendingUpdate[] | undefined
  // While stored changes are applied: ignore what Yjs reports, or write it (when it let waiting changes in).
  private stored: 'write' | 'silent' | undefined

  constructor(
    readonly ydoc: Y.Doc,
    private readonly sink: ChangeSink
  ) {
    ydoc.on('update', (update: Uint8Array, origin: unknown) => {
      if (this.stored === 'silent') return
      if (this.applying) return void this.applying.push({ update, origin })
      this.sink.write({ update, origin })
    })
  }

  /**
   * Judge `update` (an exact-size copy) from a sender with `access` and apply it if admitted.
   * `documentBytes` is what the document's stored and unstored changes take.
   */
  apply(update: Uint8Array, origin: unknown, access: 'read' | 'write', documentBytes: number, limits: AdmissionLimits): Integration {
    const admission = admitUpdate(this.ydoc, update, access, documentBytes, limits)
    if (admission.verdict !== 'apply') return admission
    const restorePending = savePending(this.ydoc)
    const changes: PendingUpdate[] = []
    this.applying = changes
    try {
      Y.applyUpdate(this.ydoc, update, origin)
    } catch (error) {
      return { verdict: 'failed', error }
    } finally {
      this.applying = undefined
    }
    // What went in is written like any change, even if the rest overflowed: memory and storage must agree.
    for (const change of changes) this.sink.write(change)
    const overflow = pendingBytes(this.ydoc) > limits.maxPendingBytes
    if (overflow) restorePending()
    return { verdict: 'applied', changed: changes.length, overflow }
  }

  /** Apply changes other instances stored (cluster mode); returns what Yjs threw, if it did. */
  applyStored(updates: Uint8Array[]): unknown {
    const waiting = this.ydoc.store.pendingStructs !== null || this.ydoc.store.pendingDs !== null
    this.stored = waiting ? 'write' : 'silent'
    try {
      for (const update of updates) Y.applyUpdate(this.ydoc, update, REMOTE_ORIGIN)
    } catch (error) {
      return error ?? new Error('Yjs threw')
    } finally {
      this.stored = undefined
    }
    return undefined
  }
}
