/**
 * Crafted Yjs updates against the real server: each known bad payload is refused (4422) or
 * harmless, and none blocks the event loop for long. The block is read from the server's own
 * event-loop delay monitor (GET /metrics resets its maximum on every read) and printed; the
 * assertion is loose (1 s) because timing is for benchmarks, but an unguarded server takes
 * seconds on the cost bomb and fails it.
 */
import { CloseCode, writeFrame } from '@quire/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { connect } from './helpers/client.js'
import { badPayloads, sameSpotInserts } from './helpers/bad-payloads.js'
import { type ServerProcess, readMetric, startServer } from './helpers/server-process.js'
import { waitFor } from './helpers/wait.js'

let server: ServerProcess
beforeAll(async () => {
  server = await startServer({ args: ['--rate-limit', '0', '--max-message-bytes', '4194304'] })
})
afterAll(async () => {
  await server.kill('SIGTERM')
})

const lagMaxMs = async () => ((await readMetric(server.httpUrl, 'quire_nodejs_eventloop_lag_max_seconds')) ?? 0) * 1000

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
  it('refuses the known bad payloads, each within a short event-loop block', async () => {
    const report: string[] = []
    for (const { name, update } of badPayloads) {
      await lagMaxMs()
      const code = await sendUpdate('hostile/known', update)
      const lag = await lagMaxMs()
      report.push(`${name}: close ${code}, event-loop block ≤ ${lag.toFixed(1)} ms`)
      expect(code, name).toBe(CloseCode.InvalidUpdate)
      expect(lag, name).toBeLessThan(1000)
    }
    console.log(`[hostile] ${report.join('\n[hostile] ')}`)
  })

  it('refuses a cost bomb (8,000 concurrent inserts at one spot over 8,000 already there) without stalling', async () => {
    // The first half is ordinary for Yjs (one client, cheap); the second would scan it 8,000 times.
    expect(await sendUpdate('hostile/bomb', sameSpotInserts(1, 8000, 1))).toBe(-1)
    await lagMaxMs()
    const code = await sendUpdate('hostile/bomb', sameSpotInserts(1, 8000, 5))
    const lag = await lagMaxMs()
    console.log(`[hostile] cost bomb: close ${code}, event-loop block ≤ ${lag.toFixed(1)} ms (an unguarded apply takes ~6 s)`)
    expect(code).toBe(CloseCode.InvalidUpdate)
    expect(lag).toBeLessThan(1000)
    // The document and the server carry on.
    const client = connect(server.wsUrl, 'hostile/bomb')
    await client.synced()
    expect(client.text.length).toBe(8000)
    client.destroy()
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
})
