/**
 * The seeded fuzz suite: at least 100,000 hostile frames (QUIRE_FUZZ_FRAMES for a longer run)
 * against the real server process. Read-only connections hammer a document that must stay
 * byte-for-byte what it was; write connections hammer a scratch document that must stay
 * loadable, with no clock past the bound (some frames carry clocks near it, and near 2^53). After every batch: the server answers, a canary client on another document round-
 * trips, memory stays bounded, and the target is unchanged.
 */

import { connect, readMetric, rng, type ServerProcess, startServer, waitFor, withSeed } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { signToken } from '../src/auth/token.js'
import { loadDocument } from '../src/documents/load.js'
import { defaultUpdateLimits } from '../src/guard/update-check.js'
import { LevelStore } from '../src/storage/leveldb.js'
import { buildCorpus, fuzzFrame } from './helpers/fuzz-frames.js'

const SECRET = 'fuzz-secret-0123456789'
const FRAMES = Number(process.env.QUIRE_FUZZ_FRAMES ?? 100_000)
// Most hostile frames end their connection, so connections carry few frames and batches are
// judged by frames the server read, not frames made.
const BATCH = 6_000
const PER_CONNECTION = 3
const PARALLEL = 24

let server: ServerProcess
let writeToken: string
let readToken: string
let original: { text: string; stateVector: Uint8Array }

const metricSum = async (name: string) => {
  const body = await (await fetch(`${server.httpUrl}/metrics`)).text()
  return body
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
}

// Frames the server actually read: decoded ones, plus the malformed ones that closed a connection.
const framesRead = async () => (await metricSum('quire_messages_in_total')) + (await metricSum('quire_rejected_connections_total{reason="malformed_message"}'))

beforeAll(async () => {
  server = await startServer({ args: ['--auth-secret', SECRET, '--rate-limit', '0', '--max-message-bytes', '1048576', '--unload-grace-ms', '60000'] })
  writeToken = await signToken(SECRET, { doc: '*', access: 'write', expiresInSeconds: 3600 })
  readToken = await signToken(SECRET, { doc: 'fuzz/target', access: 'read', expiresInSeconds: 3600 })
  const seed = connect(server.wsUrl, 'fuzz/target', { params: { token: writeToken } })
  await seed.synced()
  seed.text.insert(0, 'This document must survive every hostile frame unchanged.')
  const reader = connect(server.wsUrl, 'fuzz/target', { params: { token: writeToken } })
  await waitFor(() => reader.text.length > 0, 'the target to be written')
  original = { text: reader.text.toString(), stateVector: Y.encodeStateVector(reader.doc) }
  seed.destroy()
  reader.destroy()
})

afterAll(async () => {
  if (server.proc.exitCode === null) await server.kill('SIGTERM')
})

/** Send frames over `PER_CONNECTION`-frame connections, `PARALLEL` at a time. */
async function sendAll(frames: Uint8Array[], path: string, token: string): Promise<void> {
  const chunks: Uint8Array[][] = []
  for (let i = 0; i < frames.length; i += PER_CONNECTION) chunks.push(frames.slice(i, i + PER_CONNECTION))
  let next = 0
  const worker = async () => {
    while (next < chunks.length) await oneConnection(chunks[next++]!, path, token)
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker))
}

// Sends the frames, then a query-awareness: its answer (or the close) means the server read them all.
function oneConnection(frames: Uint8Array[], path: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.wsUrl}/${path}?token=${token}`)
    const timer = setTimeout(() => reject(new Error('a fuzz connection neither answered nor closed in 20 s')), 20_000)
    const done = () => {
      clearTimeout(timer)
      ws.terminate()
      resolve()
    }
    ws.on('open', () => {
      for (const frame of frames) ws.send(frame)
      ws.send(new Uint8Array([3]))
    })
    let awarenessReplies = 0
    ws.on('message', (data: Buffer) => {
      // The server greets with step 1 (and maybe awareness); the probe's answer is an awareness frame.
      if (data[0] === 1 && ++awarenessReplies >= 1 && data.length > 0) done()
    })
    ws.on('close', done)
    ws.on('error', () => undefined)
  })
}

async function checkInvariants(baselineRss: number, batch: number): Promise<number> {
  expect(server.proc.exitCode, 'server process alive').toBeNull()
  expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200)
  // Canary: another document still round-trips.
  const a = connect(server.wsUrl, 'fuzz/canary', { params: { token: writeToken } })
  const b = connect(server.wsUrl, 'fuzz/canary', { params: { token: writeToken } })
  await Promise.all([a.synced(), b.synced()])
  const marker = `batch ${batch};`
  a.text.insert(a.text.length, marker)
  await waitFor(() => b.text.toString().includes(marker), 'the canary to round-trip')
  a.destroy()
  b.destroy()
  // The target is exactly what it was: same text, same state vector.
  const check = connect(server.wsUrl, 'fuzz/target', { params: { token: readToken } })
  await check.synced()
  expect(check.text.toString()).toBe(original.text)
  expect(Y.encodeStateVector(check.doc)).toEqual(original.stateVector)
  check.destroy()
  const rss = (await readMetric(server.httpUrl, 'quire_process_resident_memory_bytes')) ?? 0
  // V8 grows its heap under tens of thousands of short connections; a leak grows past any cap.
  expect(rss - baselineRss, `memory grew from ${baselineRss} to ${rss} bytes`).toBeLessThan(400 * 1024 * 1024)
  return rss
}

describe('fuzz', () => {
  it(`survives at least ${FRAMES} hostile frames with every invariant holding after each batch`, async () => {
    await withSeed(20261125, async (seed) => {
      const random = rng(seed)
      const corpus = buildCorpus(random)
      const baselineRss = (await readMetric(server.httpUrl, 'quire_process_resident_memory_bytes')) ?? 0
      const startRead = await framesRead()
      let maxRss = baselineRss
      let batch = 0
      let read = 0
      while (read < FRAMES) {
        batch++
        const frames = Array.from({ length: BATCH }, () => fuzzFrame(random, corpus))
        // Three in four batches go to the read-only target, one in four to the writable scratch document.
        if (batch % 4 === 0) await sendAll(frames, 'fuzz/scratch', writeToken)
        else await sendAll(frames, 'fuzz/target', readToken)
        maxRss = Math.max(maxRss, await checkInvariants(baselineRss, batch))
        read = (await framesRead()) - startRead
      }
      console.log(
        `[fuzz] seed ${seed}: ${read} frames read by the server in ${batch} batches; RSS ${(baselineRss / 2 ** 20).toFixed(0)} -> max ${(maxRss / 2 ** 20).toFixed(0)} MiB`
      )
      expect(read).toBeGreaterThanOrEqual(FRAMES)
      // The guards refused everything Yjs would have failed on halfway (a failure would drop the document).
      expect(await metricSum('quire_errors_total{kind="apply"}'), 'updates Yjs failed to apply').toBe(0)
    })
    // About a minute on an idle machine; the limit is for a busy one.
  }, 600_000)

  it('leaves both documents loadable and the target unchanged on disk', async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
    const store = await LevelStore.open(server.dataDir, { sync: false })
    try {
      const target = await loadDocument(store, 'fuzz/target')
      expect(target.ydoc.getText('codemirror').toString()).toBe(original.text)
      expect(Y.encodeStateVector(target.ydoc)).toEqual(original.stateVector)
      const scratch = await loadDocument(store, 'fuzz/scratch')
      // No clock got past the bound, however the near-bound updates were combined.
      for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(scratch.ydoc))) {
        expect(clock, `clock of client ${client}`).toBeLessThanOrEqual(defaultUpdateLimits.maxClock)
      }
    } finally {
      await store.close()
    }
  })
})
