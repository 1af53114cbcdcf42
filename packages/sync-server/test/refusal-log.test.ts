/**
 * HI4: refusals cannot flood the log. A burst of hostile connections writes a bounded number of
 * lines per kind and one summary, while the metrics count every refusal.
 */
import { readMetric, startServer, waitFor } from '@quire/testkit'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { REFUSALS_PER_WINDOW, RefusalLog } from '../src/refusal-log.js'
import { watched } from './helpers/watched.js'

function capture() {
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
  return { lines, log }
}

describe('refusal log', () => {
  it('HI4: writes the first lines of a kind per window, counts the rest, and sums them up when the window ends', async () => {
    const { lines, log } = capture()
    const refusals = new RefusalLog(log, 300, 3)
    for (let i = 0; i < 10; i++) refusals.write('warn', 'malformed_message', { conn: i }, 'bad frame')
    refusals.write('warn', 'too_big', { conn: 99 }, 'too big')
    expect(lines.filter((line) => line.msg === 'bad frame').map((line) => line.conn)).toEqual([0, 1, 2])
    expect(lines.filter((line) => line.msg === 'too big')).toHaveLength(1)
    await waitFor(() => lines.some((line) => line.suppressed !== undefined), 'the summary line at the end of the window', 10_000)
    const summary = lines.find((line) => line.suppressed !== undefined)!
    expect(summary).toMatchObject({ refusal: 'malformed_message', suppressed: 7, level: 40 })
    // A new window writes again.
    refusals.write('warn', 'malformed_message', { conn: 100 }, 'bad frame')
    expect(lines.at(-1)).toMatchObject({ conn: 100, msg: 'bad frame' })
    expect(lines.filter((line) => line.suppressed !== undefined)).toHaveLength(1)
  })

  describe('against a real server', () => {
    let server: Awaited<ReturnType<typeof startServer>> | undefined
    afterAll(async () => {
      await server?.kill('SIGTERM')
    })

    it('HI4: a burst of malformed frames over many connections logs a bounded number of lines, and the metric counts them all', async () => {
      server = await startServer()
      const burst = REFUSALS_PER_WINDOW * 3
      for (let i = 0; i < burst; i++) {
        const socket = await watched(`${server.wsUrl}/flood`, { waitForJoin: false })
        // Message type 0x7f with a truncated body: not a frame the server can read.
        socket.ws.send(new Uint8Array([0x00, 0x7f]))
        await waitFor(() => socket.closed !== undefined, 'the malformed connection to be closed')
      }
      const metric = await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="malformed_message"}')
      expect(metric).toBe(burst)
      const written = server.logs.filter((line) => line.refusal === 'malformed_message' && line.suppressed === undefined)
      expect(written.length).toBe(REFUSALS_PER_WINDOW)
    })
  })
})
