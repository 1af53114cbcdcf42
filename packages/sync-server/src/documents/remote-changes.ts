/**
 * What other instances stored, reaching one document (cluster mode, CL3–CL5, CL11). The feed
 * delivers stored entries in seq order; they are durable already, so they are applied and relayed
 * at once, and never written again. Changes that arrive while the document wakes are kept and
 * applied once it is awake; a dormant document only notes that its stored state moved on.
 */
import { readLogRecord, readSnapshotRecord } from '../storage/records.js'
import type { Integrator } from './integration.js'
import { DocumentDamagedError } from './load.js'
import type { DocumentLog } from './log.js'
import { REMOTE_ORIGIN, type RemoteTarget } from './remote.js'

/** What the feed needs of its document: the document itself, so documents cost no objects of closures. */
export interface RemoteOwner {
  readonly name: string
  /** The awake document's integrator, or how far the document is from having one. */
  remoteState(): Integrator | 'waking' | 'dormant' | 'gone'
  /** Stored changes from elsewhere are about to be applied: what the document answered from is out of date. */
  changedElsewhere(): void
  /** Relay stored changes to every peer. */
  relayStored(updates: Uint8Array[]): void
  /** An awareness update from another instance's peers. */
  presenceFromElsewhere(update: Uint8Array): void
  /** Deleted by any instance since it was read (CL11). */
  deleted(): void
  /** A stored entry does not decode: the document cannot be trusted (as a failed load). */
  damaged(error: Error): void
  /** Yjs threw while applying: memory can no longer be trusted (HI3). */
  applyFailed(origin: unknown, error: unknown): void
}

/** The document's side of the feed. */
export class RemoteChanges implements RemoteTarget {
  // Changes that came while the document was waking, applied once it is awake.
  private held: Uint8Array[] = []

  constructor(
    private readonly doc: RemoteOwner,
    private readonly log: DocumentLog
  ) {}

  applied(): number {
    return this.log.storedThrough
  }

  generation(): number {
    return this.log.generation
  }

  snapshot(value: Uint8Array, through: number): void {
    this.change(through, value.length, true, () => [readSnapshotRecord(value).state])
  }

  entry(seq: number, value: Uint8Array, own: boolean): void {
    // Our own entry, read back before its append's reply: its changes are here already.
    if (own) return this.log.storedOwn(seq)
    this.change(seq, value.length, false, () => readLogRecord(value).updates)
  }

  presence(update: Uint8Array): void {
    this.doc.presenceFromElsewhere(update)
  }

  deleted(): void {
    this.doc.deleted()
  }

  /** The document is awake again: apply what came while it woke (the read it woke from may not have held it). */
  awoke(integrator: Integrator): void {
    const held = this.held
    this.held = []
    if (held.length > 0) this.apply(integrator, held)
  }

  private change(seq: number, bytes: number, snapshot: boolean, decode: () => Uint8Array[]): void {
    const state = this.doc.remoteState()
    if (state === 'gone') return
    let updates: Uint8Array[]
    try {
      updates = decode()
    } catch (error) {
      return this.doc.damaged(new DocumentDamagedError(this.doc.name, `log entry ${seq}: ${error instanceof Error ? error.message : String(error)}`))
    }
    this.doc.changedElsewhere()
    // A dormant document's stored state is newer than its state vector now; a peer that joins may
    // send changes it already has, which cost a wake and nothing else.
    if (state === 'waking') this.held.push(...updates)
    else if (state !== 'dormant' && !this.apply(state, updates)) return
    // Relayed as stored, never as what Yjs reports: a Y.Doc rebuilt from a read of storage that
    // went past the feed (a wake, CL3) holds this entry already, and its peers do not.
    this.doc.relayStored(updates)
    this.log.storedElsewhere(seq, bytes, snapshot ? bytes : undefined)
  }

  // False if Yjs threw (the document is then dropped, as in HI3).
  private apply(integrator: Integrator, updates: Uint8Array[]): boolean {
    const error = integrator.applyStored(updates)
    if (error === undefined) return true
    this.doc.applyFailed(REMOTE_ORIGIN, error)
    return false
  }
}
