/**
 * A document's whole state, encoded once as a sync step 2 frame, and the answers to sync step 1
 * worked out from it. Encoding a document (or reading it from storage) costs time proportional to
 * its size; doing it once per state instead of once per request keeps a flood of step 1s from
 * stalling the server, and lets every client with the same answer share the same bytes (the
 * socket layer sends one buffer to many sockets without copying it).
 */
import { writeFrame } from '@quire/protocol'
import * as Y from 'yjs'

/** One state of a document, encoded; valid until the document changes. */
export class EncodedState {
  /** The sync step 2 frame carrying the whole state: what a client with nothing gets. */
  readonly frame: Uint8Array
  /** The whole state as one update: a view into {@link frame}, not a copy. */
  readonly update: Uint8Array
  private readonly vector: Map<number, number>
  // For a client that has every struct: the delete set alone (deletions leave no trace in a state vector).
  private current: Uint8Array | undefined
  // The last other answer, for clients that repeat the same state vector.
  private last: { vector: Uint8Array; frame: Uint8Array } | undefined

  /** `update` is the whole state; `vector` its encoded state vector. */
  constructor(update: Uint8Array, vector: Uint8Array) {
    this.frame = writeFrame({ type: 'sync-step2', update })
    this.update = this.frame.subarray(this.frame.length - update.length)
    this.vector = Y.decodeStateVector(vector)
  }

  /** Bytes held. */
  get bytes(): number {
    return this.frame.length + (this.current?.length ?? 0) + (this.last?.frame.length ?? 0)
  }

  /**
   * The sync step 2 frame answering a client whose state vector is `stateVector`. Cheap for a
   * client with nothing, a client that is up to date and a repeated vector; any other costs a diff
   * of the whole state. Throws if `stateVector` does not decode.
   */
  answer(stateVector: Uint8Array): Uint8Array {
    const theirs = Y.decodeStateVector(stateVector)
    if (theirs.size === 0) return this.frame
    if (sameVector(theirs, this.vector)) return (this.current ??= this.diff(this.vector))
    if (this.last && equalBytes(this.last.vector, stateVector)) return this.last.frame
    const frame = this.diff(theirs)
    this.last = { vector: stateVector.slice(), frame }
    return frame
  }

  private diff(vector: Map<number, number>): Uint8Array {
    return writeFrame({ type: 'sync-step2', update: Y.diffUpdate(this.update, Y.encodeStateVector(vector)) })
  }
}

function sameVector(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false
  for (const [client, clock] of a) if (b.get(client) !== clock) return false
  return true
}

/** Whether two byte arrays hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}
