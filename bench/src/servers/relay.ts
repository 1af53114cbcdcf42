/**
 * The ceiling: a bare ws relay. Every frame is forwarded to the other sockets of the same path;
 * no decoding, no document, no storage. Usage: node relay.js PORT
 */
import { WebSocket, WebSocketServer } from 'ws'

const rooms = new Map<string, Set<WebSocket>>()
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2]), perMessageDeflate: false })
wss.on('connection', (ws, request) => {
  const path = (request.url ?? '/').split('?')[0]!
  let room = rooms.get(path)
  if (!room) rooms.set(path, (room = new Set()))
  const peers = room
  peers.add(ws)
  ws.on('message', (data, isBinary) => {
    for (const peer of peers) if (peer !== ws && peer.readyState === WebSocket.OPEN) peer.send(data, { binary: isBinary })
  })
  ws.on('close', () => {
    peers.delete(ws)
    if (peers.size === 0) rooms.delete(path)
  })
})
process.on('SIGTERM', () => process.exit(0))
