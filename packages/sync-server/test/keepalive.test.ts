/**
 * Keepalive: the server pings every --ping-interval-ms and closes a connection that has not
 * answered (pong or any message) within two intervals; a live client stays connected.
 */
import { rmSync } from 'node:fs'
import type { Socket } from 'node:net'
import { readMetric, type ServerProcess, startServer, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { rawUpgrade, readFrames } from './helpers/raw-socket.js'

const INTERVAL = 200

/** A TCP socket that completed the WebSocket handshake by hand and will never answer a ping. */
interface DeafSocket {
  socket: Socket
  /** WebSocket opcodes of the frames the server sent after the handshake (0x9 = ping). */
  opcodes: number[]
  closedAt: number | undefined
}

async function deafSocket(port: number, path: string): Promise<DeafSocket> {
  const raw = await rawUpgrade(port, path)
  const deaf: DeafSocket = { socket: raw.socket, opcodes: [], closedAt: undefined }
  raw.socket.on('close', () => (deaf.closedAt = Date.now()))
  // Note only the opcodes of the server's frames: a ping is never answered.
  readFrames(raw, ({ opcode }) => deaf.opcodes.push(opcode))
  return deaf
}

describe('keepalive', () => {
  let server: ServerProcess

  beforeAll(async () => {
    server = await startServer({ args: ['--ping-interval-ms', String(INTERVAL)] })
  })
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
    rmSync(server.dataDir, { recursive: true, force: true })
  })

  it('a connection that never answers pings is closed within about two intervals; one that answers stays', async () => {
    const live = new WebSocket(`${server.wsUrl}/keepalive-doc`)
    let livePings = 0
    let liveClosed: number | undefined
    live.on('ping', () => livePings++)
    live.on('close', (code) => (liveClosed = code))
    await new Promise((resolve, reject) => {
      live.once('open', resolve)
      live.once('error', reject)
    })

    const openedAt = Date.now()
    const deaf = await deafSocket(server.port, '/keepalive-doc')
    expect(deaf.closedAt).toBeUndefined()
    // Generous: two intervals are 400 ms; allow for a loaded machine, but far below the 30 s default.
    await waitFor(() => deaf.closedAt !== undefined, 'the server to close the silent connection', 5_000)
    const lifetime = deaf.closedAt! - openedAt
    expect(lifetime).toBeLessThan(10 * INTERVAL)
    expect(deaf.opcodes, 'the server pinged the silent connection before closing it').toContain(0x9)

    // Over the same span and more, the answering client sees several pings and stays open.
    const pingsBefore = livePings
    await waitFor(() => livePings >= pingsBefore + 5, 'five more pings on the answering client', 10_000)
    expect(liveClosed).toBeUndefined()
    expect(live.readyState).toBe(WebSocket.OPEN)
    expect(livePings).toBeGreaterThanOrEqual(5)

    const timeouts = await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="keepalive_timeout"}')
    expect(timeouts).toBeGreaterThanOrEqual(1)
    await waitFor(async () => (await readMetric(server.httpUrl, 'quire_connections')) === 1, 'the connection gauge to drop the dead socket')
    live.close()
  })

  it('a silent connection that keeps sending messages instead of pongs is not closed while it talks', async () => {
    // Any message counts as a sign of life: a deaf client that sends query-awareness every
    // half interval survives many intervals.
    const deaf = await deafSocket(server.port, '/keepalive-talker')
    const mask = Buffer.from([1, 2, 3, 4])
    const queryAwareness = Buffer.from([0x82, 0x80 | 1, ...mask, 3 ^ mask[0]!])
    let sent = 0
    const timer = setInterval(() => {
      if (deaf.closedAt === undefined) {
        deaf.socket.write(queryAwareness)
        sent++
      }
    }, INTERVAL / 4)
    try {
      await waitFor(() => deaf.opcodes.filter((op) => op === 0x9).length >= 5 || deaf.closedAt !== undefined, 'five pings to the talking client', 10_000)
      expect(deaf.closedAt).toBeUndefined()
      expect(sent).toBeGreaterThan(5)
      // It got answers (binary frames) to its messages, too.
      expect(deaf.opcodes).toContain(0x2)
    } finally {
      clearInterval(timer)
    }
    await waitFor(() => deaf.closedAt !== undefined, 'the server to close it once it falls silent', 5_000)
  })
})
