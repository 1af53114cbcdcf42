/**
 * Saved acknowledgements (the protocol's `ack` extension, rule F8). The server numbers every
 * frame it receives on a socket and acknowledges each update-bearing one once it is durable, so
 * the client counts what it sends and knows, frame by frame, what is safely stored.
 */
import { readFrame } from '@quire/protocol'

/** What an outgoing frame carries, as far as saving is concerned. */
export type FrameKind = 'step2' | 'update' | 'other'

/** Classify an outgoing frame; anything unreadable is `other`, the server will say so. */
export function frameKind(data: string | ArrayBufferLike | Blob | ArrayBufferView): FrameKind {
  if (typeof data === 'string' || (typeof Blob !== 'undefined' && data instanceof Blob)) return 'other'
  const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data as ArrayBufferLike)
  try {
    const frame = readFrame(bytes)
    return frame.type === 'sync-step2' ? 'step2' : frame.type === 'sync-update' ? 'update' : 'other'
  } catch {
    return 'other'
  }
}

/**
 * Whether every local change has been acknowledged. Frame indexes restart with each socket.
 * A local change is "backlog" when no socket carried it: the tracker does not predict whether
 * the provider will send a change, it watches. After a local change, {@link AckTracker.settle}
 * (called once the current task's synchronous work is done) looks whether an update-bearing
 * frame went out meanwhile. Only a sync step 2 (which holds all the server lacks) clears the
 * backlog.
 */
export class AckTracker {
  #sent = 0
  #awaited = 0
  #acked = 0
  #backlog = false
  /** A local change happened and {@link settle} has not looked at it yet. */
  #unsettled = false
  /** An update-bearing frame went out since the last {@link settle}, on the current socket. */
  #carried = false

  /** Count a frame sent on the current socket; returns its 1-based index. */
  frameSent(kind: FrameKind): number {
    this.#sent++
    if (kind !== 'other') {
      this.#awaited = this.#sent
      this.#carried = true
    }
    if (kind === 'step2') this.#backlog = false
    return this.#sent
  }

  /** A local change happened; call {@link settle} once the synchronous work around it is done. */
  localChange(): void {
    this.#unsettled = true
  }

  /** Decide about the local changes since the last call: a change no frame carried is backlog. */
  settle(): void {
    if (this.#unsettled && !this.#carried) this.#backlog = true
    this.#unsettled = this.#carried = false
  }

  /** The server acknowledged every update-bearing frame up to `index`. */
  acknowledged(index: number): void {
    this.#acked = Math.max(this.#acked, index)
  }

  /** The socket closed: what it did not get acknowledged must travel again on the next one. */
  socketClosed(): void {
    if (this.#acked < this.#awaited) this.#backlog = true
    this.#sent = this.#awaited = this.#acked = 0
    this.#carried = false
  }

  /** All local changes are durable on the server. */
  get saved(): boolean {
    return !this.#backlog && !this.#unsettled && this.#acked >= this.#awaited
  }
}
