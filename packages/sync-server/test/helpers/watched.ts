/**
 * A raw `ws` connection to the server that keeps every decoded frame and how it closed, for tests
 * that speak the protocol frame by frame instead of through a y-websocket client.
 */
import { type Frame, readFrame, writeFrame } from '@quire/protocol'
import { waitFor } from '@quire/testkit'
import WebSocket from 'ws'

/** A raw `ws` connection that records decoded frames and how (and when) it closed. */
export interface Watched {
  ws: WebSocket
  /** Every frame the server sent, decoded, in order. */
  frames: Frame[]
  /** The close code and reason, and `at` (Date.now() when the close arrived); undefined while open. */
  closed: { code: number; reason: string; at: number } | undefined
  /** How many frames of `type` the server has sent so far. */
  count(type: Frame['type']): number
  /** Send query-awareness and wait for its answer: everything the server handled before it is done. Throws if the connection closes first. */
  barrier(): Promise<void>
}

/**
 * Open a raw `ws` connection to `url` (a refused upgrade rejects with its status). By default it
 * resolves once the server's sync step 1 has arrived, i.e. the document is loaded and joined, and
 * rejects if the server closes the connection before that. With `waitForJoin: false` it resolves as
 * soon as the socket is open, for tests where the join is stalled or meant to fail.
 */
export async function watched(url: string, options: { waitForJoin?: boolean } = {}): Promise<Watched> {
  const ws = new WebSocket(url)
  const result: Watched = {
    ws,
    frames: [],
    closed: undefined,
    count: (type) => result.frames.filter((frame) => frame.type === type).length,
    async barrier() {
      const before = result.count('awareness')
      ws.send(writeFrame({ type: 'query-awareness' }))
      await waitFor(() => result.closed !== undefined || result.count('awareness') > before, 'the answer to query-awareness', 10_000)
      if (result.closed) throw new Error(`closed with ${result.closed.code} (${result.closed.reason}) before the barrier was answered`)
    }
  }
  ws.on('message', (data: Buffer) => result.frames.push(readFrame(new Uint8Array(data))))
  ws.on('close', (code, reason) => (result.closed = { code, reason: reason.toString(), at: Date.now() }))
  ws.on('error', () => {})
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)))
  })
  if (options.waitForJoin !== false) {
    await waitFor(() => result.closed !== undefined || result.count('sync-step1') > 0, 'the server sync step 1', 10_000)
    if (result.count('sync-step1') === 0) throw new Error(`closed with ${result.closed!.code} (${result.closed!.reason}) before the server sync step 1`)
  }
  return result
}
