/**
 * Saved acknowledgements (the protocol's `ack` extension, rule F8). The server numbers every
 * frame it receives on a socket and acknowledges each update-bearing one once it is durable, so
 * the client counts what it sends and knows, frame by frame, what is safely stored.
 */
import { MessageType, readFrame } from '@quire/protocol'
import * as decoding from 'lib0/decoding'
import type { WebsocketProvider } from 'y-websocket'

/** What an outgoing frame carries, as far as saving is concerned. */
export type FrameKind = 'step2' | 'update' | 'other'

/** Classify an outgoing frame; anything unreadable is `other`, the server will say so. */
export function frameKind(data: ArrayBufferLike | ArrayBufferView): FrameKind {
  const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data)
  try {
    const frame = readFrame(bytes)
    return frame.type === 'sync-step2' ? 'step2' : frame.type === 'sync-update' ? 'update' : 'other'
  } catch {
    return 'other'
  }
}

/**
 * Whether every local change has been acknowledged. Frame indexes restart with each socket;
 * a change is "backlog" when no socket carried it yet, and only a sync step 2 (which holds all
 * the server lacks) clears the backlog.
 */
export class AckTracker {
  #sent = 0
  #awaited = 0
  #acked = 0
  #backlog = false

  /** Count a frame sent on the current socket; returns its 1-based index. */
  frameSent(kind: FrameKind): number {
    this.#sent++
    if (kind !== 'other') this.#awaited = this.#sent
    if (kind === 'step2') this.#backlog = false
    return this.#sent
  }

  /** A local change happened; `carried` says whether an open socket is sending it now. */
  localChange(carried: boolean): void {
    if (!carried) this.#backlog = true
  }

  /** The server acknowledged every update-bearing frame up to `index`. */
  acknowledged(index: number): void {
    this.#acked = Math.max(this.#acked, index)
  }

  /** The socket closed: what it did not get acknowledged must travel again on the next one. */
  socketClosed(): void {
    if (this.#acked < this.#awaited) this.#backlog = true
    this.#sent = this.#awaited = this.#acked = 0
  }

  /** All local changes are durable on the server. */
  get saved(): boolean {
    return !this.#backlog && this.#acked >= this.#awaited
  }
}

/**
 * Keep `tracker` up to date from `provider`'s sockets and call `onChange` whenever `saved` may
 * have changed. With `acknowledgements` off (a server without the extension), a frame counts as
 * saved once it is handed to an open socket. Returns a function that stops tracking.
 */
export function trackSaved(provider: WebsocketProvider, tracker: AckTracker, acknowledgements: boolean, onChange: () => void): () => void {
  const onStatus = ({ status }: { status: string }): void => {
    // 'connecting' is emitted right after the provider creates a socket and before it sends.
    const ws = provider.ws
    if (status !== 'connecting' || ws === null) return
    const send = ws.send.bind(ws)
    ws.send = (data) => {
      const index = tracker.frameSent(typeof data === 'string' || data instanceof Blob ? 'other' : frameKind(data))
      send(data)
      if (!acknowledgements) tracker.acknowledged(index)
      onChange()
    }
  }
  const onClose = (): void => {
    tracker.socketClosed()
    onChange()
  }
  const onUpdate = (_update: Uint8Array, origin: unknown): void => {
    if (origin === provider) return
    // The provider sends local updates exactly when this holds (see its broadcastMessage).
    tracker.localChange(provider.wsconnected && provider.ws?.readyState === WebSocket.OPEN)
    onChange()
  }
  provider.messageHandlers[MessageType.Ack] = (_encoder, decoder) => {
    tracker.acknowledged(decoding.readVarUint(decoder))
    onChange()
  }
  provider.on('status', onStatus)
  provider.on('connection-close', onClose)
  provider.doc.on('update', onUpdate)
  return () => {
    provider.off('status', onStatus)
    provider.off('connection-close', onClose)
    provider.doc.off('update', onUpdate)
  }
}
