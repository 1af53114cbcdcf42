/**
 * A lightweight client that speaks the wire protocols directly (no provider, no Y.Doc unless it
 * writes from one): the y-websocket protocol (Quire, the classic server, the bare relay) and the
 * Hocuspocus protocol (every message prefixed by the document name, an auth message first).
 * Used where one generator core must drive hundreds of clients: received updates are only
 * looked at (state-vector metadata) and kept, and applied once at the end to check convergence.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { ROOT } from './updates.js'
import { nextClientAddress } from './util.js'

export type Dialect = 'y' | 'hp'

/** The provider version a Hocuspocus server is told (the @hocuspocus/provider we test with). */
export const HOCUSPOCUS_PROVIDER_VERSION = '4.8.0'

export interface WireOptions {
  /** ws://127.0.0.1:PORT */
  baseUrl: string
  doc: string
  dialect: Dialect
  /** Answer the server's sync step 1 from this document (writers do); otherwise step 1 is not answered. */
  ydoc?: Y.Doc
  /** Keep every received document update for {@link WireClient.text}. */
  keepUpdates?: boolean
  /** Called with each received document update (sync step 2 or update). */
  onUpdate?: (update: Uint8Array) => void
}

const MSG_SYNC = 0
const MSG_AWARENESS = 1
const MSG_AUTH = 2
const MSG_SYNC_REPLY = 4
const STEP1 = 0
const STEP2 = 1
const UPDATE = 2
const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc())

export class WireClient {
  readonly ws: WebSocket
  /** A sync step 2 has arrived (the server answered our step 1). */
  synced = false
  /** Document updates received, when kept. */
  readonly updates: Uint8Array[] = []
  error: Error | undefined
  closed = false
  private readonly prefix: Uint8Array
  readonly opened: Promise<void>

  constructor(readonly options: WireOptions) {
    const url = options.dialect === 'y' ? `${options.baseUrl}/${encodeURIComponent(options.doc)}` : options.baseUrl
    this.prefix = options.dialect === 'hp' ? encoding.encode((e) => encoding.writeVarString(e, options.doc)) : new Uint8Array(0)
    this.ws = new WebSocket(url, { perMessageDeflate: false, localAddress: nextClientAddress() })
    this.ws.binaryType = 'nodebuffer'
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => {
        this.handshake()
        resolve()
      })
      this.ws.once('error', reject)
    })
    this.opened.catch(() => {})
    this.ws.on('error', (error) => (this.error ??= error))
    this.ws.on('close', () => (this.closed = true))
    this.ws.on('message', (data: Buffer) => this.receive(data))
  }

  /** Send a Yjs update. */
  sendUpdate(update: Uint8Array): void {
    this.send(MSG_SYNC, (e) => {
      encoding.writeVarUint(e, UPDATE)
      encoding.writeVarUint8Array(e, update)
    })
  }

  /** Send an awareness update. */
  sendAwareness(update: Uint8Array): void {
    this.send(MSG_AWARENESS, (e) => encoding.writeVarUint8Array(e, update))
  }

  /** Bytes queued in the socket, not yet handed to the kernel. */
  get buffered(): number {
    return this.ws.bufferedAmount
  }

  /** The text of the kept updates applied to a fresh document. */
  text(): string {
    const doc = new Y.Doc()
    doc.transact(() => {
      for (const update of this.updates) Y.applyUpdate(doc, update)
    })
    const text = doc.getText(ROOT).toString()
    doc.destroy()
    return text
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate()
  }

  private handshake(): void {
    if (this.options.dialect === 'hp') {
      this.send(MSG_AUTH, (e) => {
        encoding.writeVarUint(e, 0) // token
        encoding.writeVarString(e, '')
        encoding.writeVarString(e, HOCUSPOCUS_PROVIDER_VERSION)
      })
    }
    const stateVector = this.options.ydoc ? Y.encodeStateVector(this.options.ydoc) : EMPTY_STATE_VECTOR
    this.send(MSG_SYNC, (e) => {
      encoding.writeVarUint(e, STEP1)
      encoding.writeVarUint8Array(e, stateVector)
    })
  }

  private send(type: number, body: (e: encoding.Encoder) => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return
    const e = encoding.createEncoder()
    if (this.prefix.length > 0) encoding.writeUint8Array(e, this.prefix)
    encoding.writeVarUint(e, type)
    body(e)
    this.ws.send(encoding.toUint8Array(e))
  }

  private receive(data: Buffer): void {
    const d = decoding.createDecoder(data)
    if (this.options.dialect === 'hp') decoding.readVarString(d)
    const type = decoding.readVarUint(d)
    if (type !== MSG_SYNC && type !== MSG_SYNC_REPLY) return
    const step = decoding.readVarUint(d)
    if (step === STEP1) {
      const ydoc = this.options.ydoc
      if (!ydoc) return
      const update = Y.encodeStateAsUpdate(ydoc, decoding.readVarUint8Array(d))
      this.send(MSG_SYNC, (e) => {
        encoding.writeVarUint(e, STEP2)
        encoding.writeVarUint8Array(e, update)
      })
      return
    }
    if (step !== STEP2 && step !== UPDATE) return
    const update = decoding.readVarUint8Array(d)
    if (step === STEP2) this.synced = true
    if (this.options.keepUpdates) this.updates.push(update)
    this.options.onUpdate?.(update)
  }
}

/** The highest clock of `client` an update carries, plus one (0 when it has none). */
export function clockAfter(update: Uint8Array, client: number): number {
  return Y.parseUpdateMeta(update).to.get(client) ?? 0
}
