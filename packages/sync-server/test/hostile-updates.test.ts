/**
 * Crafted Yjs updates: against the real server, each known bad payload is refused (4422) and
 * the server carries on; in process, the time one such message holds the event loop is measured
 * directly (handling a frame is synchronous, so the time around `receive` is the block) and
 * printed. The assertion is loose (1 s) because timing belongs to benchmarks, but an unguarded
 * server takes seconds on the cost bomb and fails it.
 */
import { CloseCode, writeFrame } from '@quire/protocol'
import { connect, type ServerProcess, startServer, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { SharedDocument } from '../src/documents/document.js'
import { loadDocument } from '../src/documents/load.js'
import { MemoryStore } from '../src/storage/memory.js'
import { badPayloads, sameSpotInserts } from './helpers/bad-payloads.js'
import { documentContext, RecordingPeer } from './helpers/peer.js'
import { watched } from './helpers/watched.js'

let server: ServerProcess
beforeAll(async () => {
  server = await startServer({ args: ['--rate-limit', '0', '--max-message-bytes', '4194304'] })
})
afterAll(async () => {
  await server.kill('SIGTERM')
})

/** Milliseconds one frame holds the event loop in a document (all handling before the write is synchronous). */
async function blockMs(setup: Uint8Array[], hostile: Uint8Array): Promise<{ ms: number; closedWith: number | undefined }> {
  const store = new MemoryStore()
  const { ctx } = documentContext(store)
  const doc = new SharedDocument('measure', await loadDocument(store, 'measure'), ctx)
  const peer = new RecordingPeer('hostile')
  doc.join(peer)
  for (const update of setup) doc.receive(peer, { type: 'sync-update', update }, 0)
  const started = performance.now()
  doc.receive(peer, { type: 'sync-update', update: hostile }, 1)
  const ms = performance.now() - started
  await doc.close()
  return { ms, closedWith: peer.closedWith?.code }
}

/** Send one update on a fresh connection; resolves with the close code, or -1 if the server answered a probe instead. */
function sendUpdate(doc: string, update: Uint8Array): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.wsUrl}/${doc}`)
    ws.on('open', () => {
      ws.send(writeFrame({ type: 'sync-update', update }))
      ws.send(new Uint8Array([3]))
    })
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1) {
        ws.close()
        resolve(-1)
      }
    })
    ws.on('close', (code) => resolve(code))
    ws.on('error', () => undefined)
  })
}

describe('hostile updates', () => {
  it('HI2: refuses the known bad payloads through the real server, which carries on', async () => {
    for (const { name, update } of badPayloads) expect(await sendUpdate('hostile/known', update), name).toBe(CloseCode.InvalidUpdate)
    const client = connect(server.wsUrl, 'hostile/known')
    await client.synced()
    expect(client.text.length).toBe(0)
    client.destroy()
  })

  it('HI2: refuses a cost bomb (8,000 concurrent inserts at one spot over 8,000 already there) through the real server', async () => {
    // The first half is ordinary for Yjs (one client, cheap); the second would scan it 8,000 times.
    expect(await sendUpdate('hostile/bomb', sameSpotInserts(1, 8000, 1))).toBe(-1)
    expect(await sendUpdate('hostile/bomb', sameSpotInserts(1, 8000, 5))).toBe(CloseCode.InvalidUpdate)
    const client = connect(server.wsUrl, 'hostile/bomb')
    await client.synced()
    expect(client.text.length).toBe(8000)
    client.destroy()
  })

  it('HI2: holds the event loop briefly for each of them (measured in process)', async () => {
    const report: string[] = []
    for (const { name, update } of badPayloads) {
      const { ms, closedWith } = await blockMs([], update)
      report.push(`${name}: ${ms.toFixed(1)} ms`)
      expect(closedWith, name).toBe(CloseCode.InvalidUpdate)
      expect(ms, name).toBeLessThan(1000)
    }
    const bomb = await blockMs([sameSpotInserts(1, 8000, 1)], sameSpotInserts(1, 8000, 5))
    report.push(`cost bomb (8,000 over 8,000; ~6 s unguarded): ${bomb.ms.toFixed(1)} ms`)
    expect(bomb.closedWith).toBe(CloseCode.InvalidUpdate)
    expect(bomb.ms).toBeLessThan(1000)
    console.log(`[hostile] event-loop block per message:\n[hostile]   ${report.join('\n[hostile]   ')}`)
  })

  it('cuts off a flood of updates whose dependencies never arrive', async () => {
    const ws = new WebSocket(`${server.wsUrl}/hostile/pending`)
    await new Promise((resolve) => ws.once('open', resolve))
    const closed = new Promise<number>((resolve) => ws.once('close', resolve))
    // Each update continues a client's history at a clock the server never saw: Yjs keeps them all pending.
    for (let i = 0; i < 400; i++) {
      const update = sameSpotInserts(1, 200, 100 + i)
      // Rewrite the first clock (byte after the client id) from 0 to 5, so every struct waits for clocks 0-4.
      const clockAt = 1 + 2 + (100 + i < 128 ? 1 : 2)
      update[clockAt] = 5
      ws.send(writeFrame({ type: 'sync-update', update }))
    }
    expect(await closed).toBe(CloseCode.InvalidUpdate)
    await waitFor(async () => server.proc.exitCode === null && (await fetch(`${server.httpUrl}/healthz`)).ok, 'the server to answer')
  })

  it("F5: cutting off the flood keeps what other peers' updates wait for", async () => {
    const name = 'hostile/pending-two'
    // C writes "base"; A, having seen it, appends "+A": the server gets A's change first, so it waits for C's.
    const c = new Y.Doc()
    c.clientID = 200
    c.getText('codemirror').insert(0, 'base')
    const a = new Y.Doc()
    a.clientID = 100
    Y.applyUpdate(a, Y.encodeStateAsUpdate(c))
    const seen = Y.encodeStateVector(a)
    a.getText('codemirror').insert(4, '+A')
    const peerA = await watched(`${server.wsUrl}/${name}?ext=ack`)
    peerA.ws.send(writeFrame({ type: 'sync-update', update: Y.encodeStateAsUpdate(a, seen) }))
    await waitFor(() => peerA.count('ack') === 1, "A's update to be taken (pending)")
    // B floods updates that wait for clocks that never come, until it is cut off.
    const peerB = await watched(`${server.wsUrl}/${name}`)
    for (let i = 0; i < 400 && !peerB.closed; i++) {
      const update = sameSpotInserts(1, 200, 1000 + i)
      update[1 + 2 + 2] = 5 // first clock 5: every struct waits for clocks 0-4 of its client
      peerB.ws.send(writeFrame({ type: 'sync-update', update }))
    }
    await waitFor(() => peerB.closed !== undefined, 'the flood to be cut off')
    expect(peerB.closed?.code).toBe(CloseCode.InvalidUpdate)
    // C's change arrives: A's, still waiting, goes in after it.
    const peerC = await watched(`${server.wsUrl}/${name}?ext=ack`)
    peerC.ws.send(writeFrame({ type: 'sync-update', update: Y.encodeStateAsUpdate(c) }))
    await waitFor(() => peerC.count('ack') === 1, "C's update to be stored")
    const reader = connect(server.wsUrl, name)
    await reader.synced()
    expect(reader.text.toString()).toBe('base+A')
    for (const peer of [peerA, peerB, peerC]) peer.ws.close()
    reader.destroy()
  })
})
