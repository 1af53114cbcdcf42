/**
 * Sync answers cost the server little whatever the document's size: a flood of sync step 1s on one
 * connection (each asking for nearly the whole document) must not stall the server, live or dormant.
 * The state is encoded once per change, and a connection gets one answer at a time: step 1s that
 * come while its last answer is being sent merge into the newest.
 */
import { writeFrame } from '@quire/protocol'
import { connect, readMetric, type ServerProcess, startServer, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { type LargeDocument, largeDocument, partialVector, storeLargeDocument } from './helpers/large-document.js'
import { watched } from './helpers/watched.js'

const FLOOD = 100

let big: LargeDocument
beforeAll(() => {
  // About 5.4 MB of update in 80,000 structs: ~0.1 s to encode or diff on a laptop.
  big = largeDocument(40_000)
}, 300_000)

interface FloodFigures {
  elapsedMs: number
  cpuSeconds: number
  maxHealthzMs: number
  maxRoundTripMs: number
  answers: number
  /** How the flooding connection was closed, if it was. */
  closed: number | undefined
}

/**
 * Send FLOOD step 1s on one connection (all but the last asking for nearly the whole document, the
 * last with the full state vector, whose answer is small), while a prober times /healthz and a
 * writer's acknowledged round trip on another document, until the last answer has arrived.
 */
async function flood(server: ServerProcess, name: string): Promise<FloodFigures> {
  const probe = await watched(`${server.wsUrl}/probe-${name}?ext=ack`)
  const probeDoc = new Y.Doc()
  const attacker = new WebSocket(`${server.wsUrl}/${name}`, { perMessageDeflate: false })
  let answers = 0
  let lastAnswered = false
  let closed: number | undefined
  attacker.on('message', (data: Buffer) => {
    // Sync step 2 is message 0, sync type 1.
    if (data[0] !== 0 || data[1] !== 1) return
    answers++
    if (data.length < big.update.length / 2) lastAnswered = true
  })
  attacker.on('close', (code) => (closed = code))
  await new Promise((resolve) => attacker.once('open', resolve))
  const cpuBefore = (await readMetric(server.httpUrl, 'quire_process_cpu_seconds_total'))!
  const started = performance.now()
  const partial = writeFrame({ type: 'sync-step1', stateVector: partialVector(big.clientId) })
  for (let i = 1; i < FLOOD; i++) attacker.send(partial)
  attacker.send(writeFrame({ type: 'sync-step1', stateVector: big.vector }))

  let maxHealthzMs = 0
  let maxRoundTripMs = 0
  let acks = 0
  while (!lastAnswered && closed === undefined) {
    let t = performance.now()
    const health = await fetch(`${server.httpUrl}/healthz`)
    expect(health.status).toBe(200)
    maxHealthzMs = Math.max(maxHealthzMs, performance.now() - t)
    t = performance.now()
    const before = Y.encodeStateVector(probeDoc)
    probeDoc.getText('codemirror').insert(0, 'x')
    probe.ws.send(writeFrame({ type: 'sync-update', update: Y.encodeStateAsUpdate(probeDoc, before) }))
    acks++
    await waitFor(() => probe.closed !== undefined || probe.count('ack') === acks, 'the probe write to be acknowledged', 120_000)
    maxRoundTripMs = Math.max(maxRoundTripMs, performance.now() - t)
    if (performance.now() - started > 300_000) throw new Error('the flood took over 5 minutes')
  }
  const elapsedMs = performance.now() - started
  const cpuSeconds = (await readMetric(server.httpUrl, 'quire_process_cpu_seconds_total'))! - cpuBefore
  attacker.close()
  probe.ws.close()
  return { elapsedMs, cpuSeconds, maxHealthzMs, maxRoundTripMs, answers, closed }
}

function report(label: string, figures: FloodFigures): void {
  console.info(
    `[${label}] ${FLOOD} step 1s on a ${(big.update.length / 2 ** 20).toFixed(1)} MiB document: ` +
      `${(figures.elapsedMs / 1000).toFixed(2)} s until the last answer, ${figures.cpuSeconds.toFixed(2)} s server CPU, ` +
      `${figures.answers} answers${figures.closed ? ` then closed with ${figures.closed}` : ''}, /healthz at most ${figures.maxHealthzMs.toFixed(0)} ms, write round trip at most ${figures.maxRoundTripMs.toFixed(0)} ms`
  )
}

/**
 * Before answers were cached and merged this flood took ~10 s (live) and ~20 s (dormant) of server
 * CPU, with /healthz waiting ~40 s. Bounds are on server CPU time, which other load on the machine
 * does not inflate, plus wall-clock bounds loose enough for a busy machine.
 */
function expectCheap(figures: FloodFigures): void {
  expect(figures.cpuSeconds).toBeLessThan(3)
  expect(figures.maxHealthzMs).toBeLessThan(10_000)
  expect(figures.maxRoundTripMs).toBeLessThan(10_000)
  // Step 1s that came while an answer was on its way merged into the newest: a handful of answers, not one per request.
  expect(figures.answers).toBeGreaterThanOrEqual(2)
  expect(figures.answers).toBeLessThanOrEqual(10)
}

describe('a flood of sync step 1s on a large live document', () => {
  let server: ServerProcess
  beforeAll(async () => {
    // A per-connection limit this high lets the flooder take every answer: what is measured is the work.
    server = await startServer({ args: ['--release-after-ms', '600000', '--max-buffered-bytes', String(2 ** 30)] })
    await storeLargeDocument(server, 'big-live', big)
  }, 120_000)
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('F9: the server stays responsive, the flooder gets merged answers, and a new client still syncs the whole document', async () => {
    expect(await readMetric(server.httpUrl, 'quire_documents_dormant')).toBe(0)
    const figures = await flood(server, 'big-live')
    report('live', figures)
    expect(figures.closed, 'the flooding connection is answered, not closed').toBeUndefined()
    expectCheap(figures)
    const reader = connect(server.wsUrl, 'big-live')
    await reader.synced()
    expect(reader.text.toString()).toBe(big.text)
    reader.destroy()
  }, 360_000)
})

describe('a flood of sync step 1s on a large dormant document', () => {
  let server: ServerProcess
  beforeAll(async () => {
    server = await startServer({ args: ['--release-after-ms', '300', '--max-buffered-bytes', String(2 ** 30)] })
    await storeLargeDocument(server, 'big-dormant', big)
    await waitFor(async () => (await readMetric(server.httpUrl, 'quire_documents_dormant')) === 1, 'the document to go dormant')
  }, 120_000)
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('F9: the server stays responsive, the flooder gets merged answers, and a new client still syncs the whole document', async () => {
    const figures = await flood(server, 'big-dormant')
    report('dormant', figures)
    expect(figures.closed, 'the flooding connection is answered, not closed').toBeUndefined()
    expectCheap(figures)
    const reader = connect(server.wsUrl, 'big-dormant')
    await reader.synced()
    expect(reader.text.toString()).toBe(big.text)
    reader.destroy()
  }, 360_000)
})
