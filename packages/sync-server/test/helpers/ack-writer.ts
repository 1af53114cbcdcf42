/**
 * A writer that asks for acknowledgements (extension `ack`, F8) over a raw connection: it keeps
 * its own Y.Doc, sends each edit as one frame, and knows which edits the server has acknowledged.
 * After its connection ends it can reconnect (to any instance) and resend its whole state.
 */
import { writeFrame } from '@quire/protocol'
import { waitFor } from '@quire/testkit'
import * as Y from 'yjs'
import { type Watched, watched } from './watched.js'

/** A raw writer of one document that tracks acknowledgements. */
export class AckWriter {
  readonly doc = new Y.Doc()
  private conn: Watched | undefined
  private sentFrames = 0
  private readonly unacked: Array<{ index: number; items: string[] }> = []
  private readonly written: string[] = []
  /** Items the server acknowledged. */
  readonly acked: string[] = []

  constructor(
    private readonly name: string,
    private readonly id: string
  ) {}

  /** Connected and not closed. */
  get open(): boolean {
    return this.conn !== undefined && this.conn.closed === undefined
  }

  /** The close the current connection got, if it ended. */
  get closed(): Watched['closed'] {
    return this.conn?.closed
  }

  /** Connect to `wsUrl` and send everything this writer has (a resend after a lost connection). */
  async connect(wsUrl: string): Promise<void> {
    this.conn?.ws.terminate()
    this.unacked.length = 0
    this.sentFrames = 0
    const conn = await watched(`${wsUrl}/${this.name}?ext=ack`, { waitForJoin: false })
    this.conn = conn
    conn.ws.on('message', () => this.collect(conn))
    // Joined (the server's sync step 1), or refused: then `closed` says how.
    await waitFor(() => conn.closed !== undefined || conn.count('sync-step1') > 0, 'the server to answer the connection', 20_000)
    this.send(
      Y.encodeStateAsUpdate(this.doc),
      this.written.filter((item) => !this.acked.includes(item))
    )
  }

  /** Type `<id-n>` at the end and send it. */
  write(n: number): string {
    const item = `<${this.id}-${n}>`
    const text = this.doc.getText('codemirror')
    const before = Y.encodeStateVector(this.doc)
    text.insert(text.length, item)
    this.written.push(item)
    this.send(Y.encodeStateAsUpdate(this.doc, before), [item])
    return item
  }

  /** Close the connection. */
  close(): void {
    this.conn?.ws.terminate()
  }

  // Send one frame carrying `items`: they count as acknowledged once its index is.
  private send(update: Uint8Array, items: string[]): void {
    if (!this.open) return
    this.conn!.ws.send(writeFrame({ type: 'sync-update', update }))
    this.sentFrames++
    this.unacked.push({ index: this.sentFrames, items })
  }

  private collect(conn: Watched): void {
    if (conn !== this.conn) return
    const acks = conn.frames.filter((frame) => frame.type === 'ack')
    const last = acks.length > 0 ? (acks[acks.length - 1] as { index: number }).index : 0
    while (this.unacked.length > 0 && this.unacked[0]!.index <= last) this.acked.push(...this.unacked.shift()!.items)
  }
}
