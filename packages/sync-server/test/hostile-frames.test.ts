/**
 * Hostile input is normal (DESIGN.md): any bytes on a socket get, at worst, a closed connection
 * with a close code and a log line; the server, other connections and stored data are unaffected.
 * Runs against the real server process with a seeded document, from raw `ws` and TCP sockets.
 */
import { rmSync } from 'node:fs'
import { CloseCode, type Frame, ProtocolError, readFrame, writeFrame } from '@quire/protocol'
import { type Client, connect, readMetric, rng, type ServerProcess, startServer, waitFor, withSeed } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import { filterAwareness } from '../src/guard/awareness-filter.js'
import { checkUpdate } from '../src/guard/update-check.js'
import { rawUpgrade, readFrames } from './helpers/raw-socket.js'
import { storedDocument } from './helpers/stored.js'

const MAX_MESSAGE_BYTES = 65_536
const TARGET = 'target'
/** The connection answered a barrier message after the frames under test: not closed. */
const STILL_OPEN = -1

/**
 * Open a raw socket on `name`, send `messages`, and resolve with how the server closed it. With
 * `barrier`, a query-awareness follows the messages, and an awareness frame coming back (sent
 * only once everything before it was handled) resolves with STILL_OPEN instead.
 */
function sendAndWaitClose(
  wsUrl: string,
  name: string,
  messages: Array<Uint8Array | { text: Buffer | string }>,
  options: { barrier?: boolean } = {}
): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/${name}`)
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`no close${options.barrier ? ' and no answer to the barrier' : ''} within 10 s on "${name}"`))
    }, 10_000)
    ws.on('error', () => {})
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)))
    ws.on('open', () => {
      for (const message of messages) {
        if (message instanceof Uint8Array) ws.send(message, { binary: true })
        else ws.send(message.text, { binary: false })
      }
      if (options.barrier) ws.send(writeFrame({ type: 'query-awareness' }))
    })
    ws.on('message', (data: Buffer) => {
      if (options.barrier && readFrame(new Uint8Array(data)).type === 'awareness') {
        clearTimeout(timer)
        ws.removeAllListeners('close')
        ws.close()
        resolve({ code: STILL_OPEN, reason: 'answered the barrier' })
      }
    })
    ws.on('close', (code, reason) => {
      clearTimeout(timer)
      resolve({ code, reason: reason.toString() })
    })
  })
}

/** Run `task` over `items` with at most `width` at a time, keeping the order of results. */
async function inBatches<T, R>(items: T[], width: number, task: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  for (let start = 0; start < items.length; start += width) {
    results.push(...(await Promise.all(items.slice(start, start + width).map((item, j) => task(item, start + j)))))
  }
  return results
}

function randomBytesFrom(random: () => number, maxLength: number): Uint8Array {
  const out = new Uint8Array(Math.floor(random() * (maxLength + 1)))
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256)
  return out
}

function isMalformed(bytes: Uint8Array): boolean {
  try {
    readFrame(bytes)
    return false
  } catch (error) {
    if (error instanceof ProtocolError) return true
    throw error
  }
}

/** Real frames, as a client would send them. */
function realFrames(): Array<{ what: string; bytes: Uint8Array }> {
  const doc = new Y.Doc()
  doc.clientID = 4242
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  doc.getText('codemirror').insert(0, 'an update that never arrives whole')
  const awareness = new awarenessProtocol.Awareness(doc)
  awareness.setLocalState({ user: { name: 'Mallory' } })
  const frames = [
    { what: 'sync-step1', bytes: writeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) }) },
    { what: 'sync-step2', bytes: writeFrame({ type: 'sync-step2', update: Y.encodeStateAsUpdate(doc) }) },
    { what: 'sync-update', bytes: writeFrame({ type: 'sync-update', update: updates[0]! }) },
    { what: 'awareness', bytes: writeFrame({ type: 'awareness', update: awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]) }) }
  ]
  awareness.destroy()
  return frames
}

/** Complete the WebSocket handshake over raw TCP, send `garbage`, and resolve with the close code of the server's close frame (or -1 if none). */
async function rawTcpGarbage(port: number, path: string, garbage: Buffer): Promise<number> {
  const raw = await rawUpgrade(port, path)
  return new Promise((resolve) => {
    let closeCode = -1
    raw.socket.on('close', () => resolve(closeCode))
    raw.socket.write(garbage)
    readFrames(raw, ({ opcode, payload }) => {
      if (opcode === 0x8 && payload.length >= 2) closeCode = payload.readUInt16BE(0)
    })
  })
}

describe('hostile frames against a running server', () => {
  let server: ServerProcess
  let writer: Client
  let reader: Client
  let original: string
  let serverStopped = false

  beforeAll(async () => {
    server = await startServer({ args: ['--max-message-bytes', String(MAX_MESSAGE_BYTES)] })
    writer = connect(server.wsUrl, TARGET)
    await writer.synced()
    const random = rng(99)
    for (let i = 0; i < 30; i++) {
      const at = Math.floor(random() * (writer.text.length + 1))
      writer.text.insert(at, `line ${i} ${Math.floor(random() * 1e9).toString(36)}\n`)
    }
    original = writer.text.toString()
    reader = connect(server.wsUrl, TARGET)
    await reader.synced()
    await waitFor(() => reader.text.toString() === original, 'the reader to see the seeded text')
  })

  afterAll(async () => {
    writer?.destroy()
    reader?.destroy()
    if (server && !serverStopped) await server.kill('SIGTERM')
    if (server) rmSync(server.dataDir, { recursive: true, force: true })
  })

  it('F7/C1: seeded random byte frames that do not decode are closed with 4400', async () => {
    await withSeed(20_240_611, async (seed) => {
      const random = rng(seed)
      const frames: Uint8Array[] = []
      while (frames.length < 150) {
        const bytes = randomBytesFrom(random, 64)
        if (isMalformed(bytes)) frames.push(bytes)
      }
      const results = await inBatches(frames, 10, (bytes, i) => sendAndWaitClose(server.wsUrl, i % 2 === 0 ? TARGET : `random-${i % 7}`, [bytes]))
      results.forEach((result, i) => expect(result.code, `frame ${i}: [${[...frames[i]!].join(',')}]`).toBe(CloseCode.MalformedMessage))
      expect(results[0]!.reason.length).toBeGreaterThan(0)
    })
  })

  it('F7/C1: every truncation of real frames (step 1, step 2, update, awareness) is closed with 4400', async () => {
    const cases: Array<{ what: string; bytes: Uint8Array }> = []
    for (const { what, bytes } of realFrames())
      for (let cut = 0; cut < bytes.length; cut++) cases.push({ what: `${what} cut at ${cut}`, bytes: bytes.slice(0, cut) })
    const results = await inBatches(cases, 10, ({ bytes }) => sendAndWaitClose(server.wsUrl, TARGET, [bytes]))
    results.forEach((result, i) => expect(result.code, cases[i]!.what).toBe(CloseCode.MalformedMessage))
  })

  it('F7/C1: unknown message, sync and auth types are closed with 4400', async () => {
    const cases = [[4], [5, 0], [99, 1, 2], [102], [255, 1], [0x80, 0x01], [0, 3, 1, 0], [0, 9, 0], [2, 1, 0], [2, 5]]
    for (const bytes of cases) {
      const { code, reason } = await sendAndWaitClose(server.wsUrl, TARGET, [new Uint8Array(bytes)])
      expect(code, `[${bytes.join(',')}]`).toBe(CloseCode.MalformedMessage)
      expect(reason).toMatch(/unknown/)
    }
  })

  it('F7/C1: trailing bytes after a real frame are closed with 4400', async () => {
    for (const { what, bytes } of [...realFrames(), { what: 'query-awareness', bytes: writeFrame({ type: 'query-awareness' }) }]) {
      const longer = new Uint8Array([...bytes, 0])
      const { code, reason } = await sendAndWaitClose(server.wsUrl, TARGET, [longer])
      expect(code, what).toBe(CloseCode.MalformedMessage)
      expect(reason).toMatch(/trailing/)
    }
  })

  it('F1/C1: a text message is read as bytes (so "hello" is 4400); text that is not UTF-8 is refused with 1007', async () => {
    expect((await sendAndWaitClose(server.wsUrl, TARGET, [{ text: 'hello' }])).code).toBe(CloseCode.MalformedMessage)
    expect((await sendAndWaitClose(server.wsUrl, TARGET, [{ text: Buffer.from([0xc3, 0x28]) }])).code).toBe(1007)
  })

  it('C1: bytes that are not WebSocket frames at all are closed with 1002 (protocol error)', async () => {
    expect(await rawTcpGarbage(server.port, `/${TARGET}`, Buffer.from('GARBAGE, NOT A FRAME'))).toBe(1002)
    // An unmasked client frame breaks RFC 6455 too.
    expect(await rawTcpGarbage(server.port, `/${TARGET}`, Buffer.from([0x82, 0x01, 0x03]))).toBe(1002)
  })

  it('L1/C1: a message over --max-message-bytes is closed with 1009; one of exactly the limit is accepted', async () => {
    const big = new Uint8Array(MAX_MESSAGE_BYTES + 1)
    big.set(writeFrame({ type: 'sync-update', update: new Uint8Array(0) }).subarray(0, 2))
    expect((await sendAndWaitClose(server.wsUrl, TARGET, [big])).code).toBe(CloseCode.MessageTooBig)
    expect((await sendAndWaitClose(server.wsUrl, TARGET, [new Uint8Array(4 * MAX_MESSAGE_BYTES)])).code).toBe(CloseCode.MessageTooBig)

    // A real update whose frame is exactly the limit goes through (on its own document).
    const frameFor = (n: number) => {
      const doc = new Y.Doc()
      doc.clientID = 777
      doc.getText('codemirror').insert(0, 'x'.repeat(n))
      return writeFrame({ type: 'sync-update', update: Y.encodeStateAsUpdate(doc) })
    }
    const n = MAX_MESSAGE_BYTES - (frameFor(60_000).length - 60_000)
    const exact = frameFor(n)
    expect(exact.length).toBe(MAX_MESSAGE_BYTES)
    const outcome = sendAndWaitClose(server.wsUrl, 'at-the-limit', [exact], { barrier: true })
    const checker = connect(server.wsUrl, 'at-the-limit')
    await waitFor(() => checker.text.length === n, 'the exact-limit update to arrive')
    checker.destroy()
    expect((await outcome).code).toBe(STILL_OPEN)
  })

  it('F5/C1: well-formed frames whose Yjs or awareness payload does not decode are closed with 4422', async () => {
    const garbage = new Uint8Array([255])
    const cases: Array<{ what: string; frame: Frame }> = [
      { what: 'sync-update [255]', frame: { type: 'sync-update', update: garbage } },
      { what: 'sync-update []', frame: { type: 'sync-update', update: new Uint8Array(0) } },
      { what: 'sync-update 1..9', frame: { type: 'sync-update', update: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) } },
      { what: 'sync-step2 [255]', frame: { type: 'sync-step2', update: garbage } },
      { what: 'sync-step1 with a bad state vector', frame: { type: 'sync-step1', stateVector: garbage } },
      { what: 'awareness [255]', frame: { type: 'awareness', update: garbage } },
      { what: 'awareness with a state that is not JSON', frame: { type: 'awareness', update: new Uint8Array([1, 5, 1, 3, 0x7b, 0x7b, 0x7b]) } }
    ]
    for (const { what, frame } of cases) {
      const { code, reason } = await sendAndWaitClose(server.wsUrl, TARGET, [writeFrame(frame)])
      expect(code, what).toBe(CloseCode.InvalidUpdate)
      // The reason says what was wrong in the client's terms; its wording is the server's.
      expect(reason.length, what).toBeGreaterThan(5)
    }
  })

  it("F5/C1: seeded random payloads in well-formed frames get 4422 exactly when Yjs or the server's pre-check refuses them", async () => {
    await withSeed(777, async (seed) => {
      const random = rng(seed)
      const types = ['sync-update', 'sync-step2', 'awareness'] as const
      const cases = Array.from({ length: 40 }, () => {
        const type = types[Math.floor(random() * types.length)]!
        // Half pure noise, half a real payload with one byte changed (or none): both outcomes occur.
        let payload: Uint8Array
        if (random() < 0.5) payload = randomBytesFrom(random, 40)
        else {
          const doc = new Y.Doc()
          doc.clientID = 1 + Math.floor(random() * 1e6)
          doc.getText('codemirror').insert(0, `fuzz ${Math.floor(random() * 1e6)}`)
          const awareness = new awarenessProtocol.Awareness(doc)
          awareness.setLocalState({ user: { name: 'fuzz' } })
          payload = type === 'awareness' ? awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]) : Y.encodeStateAsUpdate(doc)
          awareness.destroy()
          if (random() < 0.75) payload[Math.floor(random() * payload.length)] = Math.floor(random() * 256)
        }
        // What a fresh document makes of it decides the expected outcome (each case gets its own document).
        let refused = false
        try {
          if (type === 'awareness') awarenessProtocol.applyAwarenessUpdate(new awarenessProtocol.Awareness(new Y.Doc()), payload, 'test')
          else Y.applyUpdate(new Y.Doc(), payload)
        } catch {
          refused = true
        }
        // The server is stricter than Yjs (trailing bytes, subdocuments, invalid UTF-8): its own
        // pre-checks refuse some payloads Yjs would take.
        if (type === 'awareness') refused ||= !filterAwareness(payload, { maxStateBytes: 8192, user: undefined, mayControl: () => true }).ok
        else refused ||= !checkUpdate(payload).ok
        return { type, payload, refused }
      })
      // Both outcomes occur with this seed, so both branches below are exercised.
      expect(cases.filter((c) => c.refused).length).toBeGreaterThan(10)
      expect(cases.filter((c) => !c.refused).length).toBeGreaterThan(0)
      const results = await inBatches(cases, 8, ({ type, payload }, i) =>
        sendAndWaitClose(server.wsUrl, `fuzz-payload-${i}`, [writeFrame({ type, update: payload })], { barrier: true })
      )
      results.forEach((result, i) => {
        const { type, payload, refused } = cases[i]!
        expect(result.code, `case ${i}: ${type} [${[...payload].join(',')}]`).toBe(refused ? CloseCode.InvalidUpdate : STILL_OPEN)
      })
    })
  })

  it('F5: an update refused with 4422 leaves no trace: not stored, not relayed', async () => {
    // A real update with its last byte (the delete set) cut: Yjs integrates the inserted text,
    // then throws while reading the delete set.
    const doc = new Y.Doc()
    doc.clientID = 31337
    doc.getText('codemirror').insert(0, 'injected')
    const update = Y.encodeStateAsUpdate(doc)
    const broken = update.slice(0, update.length - 1)
    const watcher = connect(server.wsUrl, 'partial-victim')
    await watcher.synced()
    const { code } = await sendAndWaitClose(server.wsUrl, 'partial-victim', [writeFrame({ type: 'sync-update', update: broken })])
    expect(code).toBe(CloseCode.InvalidUpdate)
    // A fresh client's sync is answered only once every earlier write is durable.
    const fresh = connect(server.wsUrl, 'partial-victim')
    await fresh.synced()
    const seen = { fresh: fresh.text.toString(), watcher: watcher.text.toString() }
    fresh.destroy()
    watcher.destroy()
    expect(seen).toEqual({ fresh: '', watcher: '' })
  })

  it("HI1: afterwards: the server is alive, other documents and the target's clients work, and the stored text is exactly the original", async () => {
    expect(server.proc.exitCode).toBeNull()
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200)

    // Every refusal left a log line naming the document and the close code.
    const refusals = server.logs.filter((line) => line.doc === TARGET && line.level === 40)
    expect(refusals.some((line) => line.code === CloseCode.MalformedMessage)).toBe(true)
    expect(refusals.some((line) => line.code === CloseCode.InvalidUpdate)).toBe(true)
    expect(server.logs.some((line) => line.doc === TARGET && line.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')).toBe(true)
    expect(await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="malformed_message"}')).toBeGreaterThanOrEqual(150)

    // An independent pair of clients on another document round-trips.
    const a = connect(server.wsUrl, 'bystander')
    const b = connect(server.wsUrl, 'bystander')
    await Promise.all([a.synced(), b.synced()])
    a.text.insert(0, 'from a')
    await waitFor(() => b.text.toString() === 'from a', "b to see a's edit")
    b.text.insert(b.text.length, ', from b')
    await waitFor(() => a.text.toString() === 'from a, from b', "a to see b's edit")
    a.destroy()
    b.destroy()

    // The target's original clients are still connected and still relayed (awareness, so the text stays as it was).
    expect(writer.provider.wsconnected && reader.provider.wsconnected).toBe(true)
    writer.provider.awareness.setLocalStateField('user', { name: 'still here' })
    await waitFor(
      () => (reader.provider.awareness.getStates().get(writer.doc.clientID) as { user?: { name?: string } } | undefined)?.user?.name === 'still here',
      "the reader to see the writer's awareness"
    )
    expect(writer.text.toString()).toBe(original)
    expect(reader.text.toString()).toBe(original)
    const fresh = connect(server.wsUrl, TARGET)
    await fresh.synced()
    expect(fresh.text.toString()).toBe(original)
    fresh.destroy()

    // After a clean stop, the stored document holds exactly the original text.
    writer.destroy()
    reader.destroy()
    expect(await server.kill('SIGTERM')).toBe(0)
    serverStopped = true
    expect((await storedDocument(server.dataDir, TARGET)).text).toBe(original)
  })
})
