/**
 * WebSocket by hand over node:net, for tests that must behave in ways no WebSocket client allows
 * (never answer a ping, never read, send bytes that are not a frame, send a path verbatim).
 */
import { randomBytes } from 'node:crypto'
import { type Socket, connect as tcpConnect } from 'node:net'

/** The HTTP request that asks the server on 127.0.0.1:`port` to upgrade `path` (sent verbatim) to a WebSocket. */
export function upgradeRequest(port: number, path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`
  )
}

/** A TCP socket that completed the WebSocket handshake, with what arrived after the response head. */
export interface RawUpgrade {
  /** Paused: attach 'data' (and 'close') listeners, then resume() it, or leave it paused to read nothing. */
  socket: Socket
  /** Bytes that came after the `HTTP/1.1 101` head in the same read: the start of the server's frames. */
  rest: Buffer
}

/**
 * Open a TCP connection to 127.0.0.1:`port` and complete the WebSocket upgrade of `path` by hand.
 * Rejects if the server answers anything but 101 or closes first. Socket errors are ignored (tests
 * provoke resets); watch 'close' instead.
 */
export function rawUpgrade(port: number, path: string): Promise<RawUpgrade> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1')
    let head = Buffer.alloc(0)
    const onClose = () => reject(new Error(`connection closed before the upgrade response for ${path}`))
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      socket.off('close', onClose)
      const response = head.subarray(0, end).toString()
      if (!response.startsWith('HTTP/1.1 101')) {
        socket.destroy()
        return reject(new Error(`upgrade refused: ${response}`))
      }
      socket.pause()
      resolve({ socket, rest: head.subarray(end + 4) })
    }
    socket.on('error', () => {})
    socket.on('close', onClose)
    socket.on('connect', () => socket.write(upgradeRequest(port, path)))
    socket.on('data', onData)
  })
}

/** One WebSocket frame as the server sent it (unmasked): its opcode (0x2 binary, 0x8 close, 0x9 ping) and payload. */
export interface RawFrame {
  opcode: number
  payload: Buffer
}

/** Split the whole server frames off the front of `buffer`; `rest` is an incomplete frame still to be read. */
export function takeFrames(buffer: Buffer): { frames: RawFrame[]; rest: Buffer } {
  const frames: RawFrame[] = []
  while (buffer.length >= 2) {
    const length = buffer[1]! & 0x7f
    const header = length === 126 ? 4 : length === 127 ? 10 : 2
    if (buffer.length < header) break
    const payload = length === 126 ? buffer.readUInt16BE(2) : length === 127 ? Number(buffer.readBigUInt64BE(2)) : length
    if (buffer.length < header + payload) break
    frames.push({ opcode: buffer[0]! & 0x0f, payload: buffer.subarray(header, header + payload) })
    buffer = buffer.subarray(header + payload)
  }
  return { frames, rest: buffer }
}

/** Start reading an upgraded socket: call `onFrame` for each whole server frame, from `rest` on, and resume the socket. */
export function readFrames({ socket, rest }: RawUpgrade, onFrame: (frame: RawFrame) => void): void {
  let buffer = rest
  const take = () => {
    const taken = takeFrames(buffer)
    buffer = taken.rest
    for (const frame of taken.frames) onFrame(frame)
  }
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk])
    take()
  })
  take()
  socket.resume()
}

/** One masked binary frame, as a client must send it. */
export function clientFrame(bytes: Uint8Array): Buffer {
  const mask = randomBytes(4)
  const length = bytes.length
  const header = length < 126 ? Buffer.from([0x82, 0x80 | length]) : length < 65536 ? Buffer.from([0x82, 0x80 | 126, length >> 8, length & 0xff]) : undefined
  if (!header) throw new Error('clientFrame: frames of 64 KiB or more are not needed by the tests')
  const body = Buffer.from(bytes.map((byte, i) => byte ^ mask[i % 4]!))
  return Buffer.concat([header, mask, body])
}
