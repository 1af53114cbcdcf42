/**
 * Bytes waiting to be sent are bounded server-wide: clients that ask for a large document and never
 * read cannot take the server's memory between them. Identical answers share one buffer; past
 * --max-send-buffer-bytes, the connections holding the most unsent bytes are closed with 1013,
 * while a client that reads stays connected and in sync.
 */
import { CloseCode, writeFrame } from '@quire/protocol'
import { connect, readMetric, type ServerProcess, startServer, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SendBudget } from '../src/transport/send-budget.js'
import { type LargeDocument, largeDocument, partialVector, storeLargeDocument } from './helpers/large-document.js'
import { clientFrame, type RawUpgrade, rawUpgrade } from './helpers/raw-socket.js'
import { watched } from './helpers/watched.js'

const NON_READERS = 25
const STEP1S_EACH = 8
const MiB = 2 ** 20

let big: LargeDocument
beforeAll(() => {
  // About 4 MiB of update.
  big = largeDocument(30_000)
}, 300_000)

/** A metric, asked again once if the request fails (a kept-alive HTTP connection can be reset under heavy load). */
async function metric(server: ServerProcess, name: string): Promise<number | undefined> {
  try {
    return await readMetric(server.httpUrl, name)
  } catch {
    return await readMetric(server.httpUrl, name)
  }
}

const rss = async (server: ServerProcess) => (await metric(server, 'quire_process_resident_memory_bytes'))!
const step1sIn = async (server: ServerProcess) => (await metric(server, 'quire_messages_in_total{type="sync-step1"}')) ?? 0

/**
 * Open NON_READERS raw connections that never read, each sending STEP1S_EACH step 1s with the
 * vector `vectorOf(i)`; resolves once the server has received them all, with the sockets and
 * the highest RSS seen meanwhile.
 */
async function nonReaders(server: ServerProcess, name: string, vectorOf: (i: number) => Uint8Array): Promise<{ sockets: RawUpgrade[]; peakRss: number }> {
  const before = await step1sIn(server)
  const sockets: RawUpgrade[] = []
  for (let i = 0; i < NON_READERS; i++) sockets.push(await rawUpgrade(server.port, `/${name}`))
  // All at once, once every connection is open: the answers pile up together.
  sockets.forEach(({ socket }, i) => {
    const frame = clientFrame(writeFrame({ type: 'sync-step1', stateVector: vectorOf(i) }))
    socket.write(Buffer.concat(Array.from({ length: STEP1S_EACH }, () => frame)))
  })
  let peakRss = 0
  await waitFor(
    async () => {
      peakRss = Math.max(peakRss, await rss(server))
      if ((await step1sIn(server)) >= before + NON_READERS * STEP1S_EACH) return true
      // A server without one-answer-at-a-time closes each as too slow after a few answers instead.
      return ((await metric(server, 'quire_rejected_connections_total{reason="slow_client"}')) ?? 0) >= NON_READERS
    },
    'every step 1 to be received (or every non-reader closed as too slow)',
    120_000
  )
  // Answers already computed may still be on their way into the send buffers: watch a little longer.
  const until = Date.now() + 2000
  while (Date.now() < until) peakRss = Math.max(peakRss, await rss(server))
  return { sockets, peakRss }
}

describe('SendBudget', () => {
  it('counts bytes until they drain, and past the limit picks the accounts holding the most', () => {
    const budget = new SendBudget(100)
    const [a, b, c] = [budget.open(), budget.open(), budget.open()]
    expect(budget.add(a, 40)).toEqual([])
    expect(budget.add(b, 30)).toEqual([])
    budget.drained(a, 40)
    expect(budget.waiting).toBe(30)
    expect(budget.add(a, 50)).toEqual([])
    expect(budget.add(c, 10)).toEqual([])
    // 90 waiting; 45 more for b makes 135: b (75) alone brings it back to 60.
    expect(budget.add(b, 45)).toEqual([b])
    expect(budget.waiting).toBe(60)
    // A closed account no longer counts, nor do its late drains.
    budget.drained(b, 75)
    expect(budget.waiting).toBe(60)
    expect(budget.add(b, 1000)).toEqual([])
    // Whoever sent last, the account holding the most goes first.
    const d = budget.open()
    expect(budget.add(d, 20)).toEqual([])
    expect(budget.add(d, 25)).toEqual([a])
    expect(budget.waiting).toBe(55)
    expect(budget.add(c, 60)).toEqual([c])
    expect(budget.waiting).toBe(45)
    expect(budget.add(d, 100)).toEqual([d])
    expect(budget.waiting).toBe(0)
  })
})

describe(`${NON_READERS} connections that never read, each asking ${STEP1S_EACH} times for a large document`, () => {
  let server: ServerProcess
  beforeAll(async () => {
    server = await startServer({ args: ['--release-after-ms', '600000'] })
    await storeLargeDocument(server, 'wide', big)
  }, 120_000)
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('L1: the server holds about one shared answer, not one copy per request', async () => {
    const reader = connect(server.wsUrl, 'wide')
    await reader.synced()
    const rssBefore = await rss(server)
    const { sockets, peakRss } = await nonReaders(server, 'wide', () => partialVector(big.clientId))
    const growth = (peakRss - rssBefore) / MiB
    console.info(
      `[non-readers] ${NON_READERS} x ${STEP1S_EACH} step 1s on a ${(big.update.length / MiB).toFixed(1)} MiB document: ` +
        `server RSS ${(rssBefore / MiB).toFixed(0)} -> ${(peakRss / MiB).toFixed(0)} MiB (+${growth.toFixed(0)} MiB)`
    )
    expect(growth).toBeLessThan(150)
    reader.text.insert(0, 'still in sync. ')
    const other = connect(server.wsUrl, 'wide')
    await other.synced()
    await waitFor(() => other.text.toString() === reader.text.toString(), 'a new client to see the edit')
    for (const { socket } of sockets) socket.destroy()
    reader.destroy()
    other.destroy()
  }, 300_000)
})

describe('--max-send-buffer-bytes 16 MiB', () => {
  let server: ServerProcess
  const budget = 16 * MiB
  beforeAll(async () => {
    server = await startServer({ args: ['--release-after-ms', '600000', '--max-send-buffer-bytes', String(budget)] })
    await storeLargeDocument(server, 'budget', big)
  }, 120_000)
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('C1: past the budget the connections holding the most unsent bytes are closed with 1013; a reader stays connected and in sync', async () => {
    // A raw reader: a stock provider would reconnect on its own after 30 s without a message, and hide whether it was closed.
    const reader = await watched(`${server.wsUrl}/budget`)
    reader.ws.send(writeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) }))
    await waitFor(() => reader.closed !== undefined || reader.count('sync-step2') === 1, 'the reader to get the document', 60_000)
    const rssBefore = await rss(server)
    // Each asks from a different point: no two answers are alike, so none can be shared.
    const { sockets, peakRss } = await nonReaders(server, 'budget', (i) => partialVector(big.clientId, 1 + i))
    const evicted = (await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="send_budget"}')) ?? 0
    const waiting = (await readMetric(server.httpUrl, 'quire_send_buffer_bytes'))!
    console.info(
      `[send budget] ${evicted} of ${NON_READERS} non-readers closed; ${(waiting / MiB).toFixed(1)} MiB waiting; ` +
        `server RSS ${(rssBefore / MiB).toFixed(0)} -> ${(peakRss / MiB).toFixed(0)} MiB`
    )
    // Each holds most of a 4 MiB answer: no more than about four fit in 16 MiB.
    expect(evicted).toBeGreaterThanOrEqual(NON_READERS - 6)
    expect(waiting).toBeLessThanOrEqual(budget)
    const closedLines = server.logs.filter((line) => line.msg === 'server send buffers are full; closing the connection with the most unsent bytes')
    expect(closedLines).toHaveLength(evicted)
    expect(closedLines.every((line) => line.code === CloseCode.TryAgainLater && line.doc === 'budget')).toBe(true)
    // Closed connections are gone within the close timeout, even though they never read the close frame.
    await waitFor(async () => (await readMetric(server.httpUrl, 'quire_connections')) === 1 + NON_READERS - evicted, 'the closed connections to end', 10_000)

    // The reader was never closed and still follows edits.
    const writer = await watched(`${server.wsUrl}/budget?ext=ack`)
    const author = new Y.Doc()
    author.getText('codemirror').insert(0, 'after the flood. ')
    writer.ws.send(writeFrame({ type: 'sync-update', update: Y.encodeStateAsUpdate(author) }))
    await waitFor(() => reader.closed !== undefined || reader.count('sync-update') === 1, 'the reader to see the edit')
    expect(reader.closed).toBeUndefined()
    const copy = new Y.Doc()
    for (const frame of reader.frames) if (frame.type === 'sync-step2' || frame.type === 'sync-update') Y.applyUpdate(copy, frame.update)
    // What it received adds up to the document and the edit.
    const text = copy.getText('codemirror').toString()
    expect(text.length).toBe(big.text.length + 'after the flood. '.length)
    expect(text).toContain('after the flood. ')
    for (const { socket } of sockets) socket.destroy()
    reader.ws.close()
    writer.ws.close()
  }, 300_000)
})
