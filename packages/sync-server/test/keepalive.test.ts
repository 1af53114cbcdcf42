/**
 * Keepalive: the server pings every --ping-interval-ms and closes a connection that has not
 * answered (pong or any message) within two intervals; a live client stays connected.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { type Socket, connect as tcpConnect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type ServerProcess, readMetric, startServer } from './helpers/server-process.js'
import { waitFor } from './helpers/wait.js'

const INTERVAL = 200

/** A TCP socket that completed the WebSocket handshake by hand and will never answer a ping. */
interface DeafSocket {
  socket: Socket
  /** WebSocket opcodes of the frames the server sent after the handshake (0x9 = ping). */
  opcodes: number[]
  closedAt: number | undefined
}

function deafSocket(port: number, path: string): Promise<DeafSocket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1')
    const deaf: DeafSocket = { socket, opcodes: [], closedAt: undefined }
    let buffer = Buffer.alloc(0)
    let upgraded = false
    socket.on('error', () => {})
    socket.on('close', () => (deaf.closedAt = Date.now()))
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`
      )
    })
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buffer.subarray(0, end).toString()
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${head}`))
        upgraded = true
        buffer = buffer.subarray(end + 4)
        resolve(deaf)
      }
      // Read whole server frames (unmasked; short payloads only, which is all we expect).
      while (buffer.length >= 2) {
        const length = buffer[1]! & 0x7f
        const header = length === 126 ? 4 : length === 127 ? 10 : 2
        if (buffer.length < header) return
        const payload = length === 126 ? buffer.readUInt16BE(2) : length === 127 ? Number(buffer.readBigUInt64BE(2)) : length
        if (buffer.length < header + payload) return
        deaf.opcodes.push(buffer[0]! & 0x0f)
        buffer = buffer.subarray(header + payload)
      }
    })
  })
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
