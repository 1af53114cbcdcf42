/**
 * A loopback TCP proxy that can go silent, to play a dropped network: while frozen it neither
 * reads nor forwards a byte in either direction and closes nothing, as when Wi-Fi vanishes or a
 * route is lost. Sockets stay open on both ends, so only timeouts (pings, liveness checks) can
 * tell that the other side is gone.
 */
import { createServer, type Socket, connect as tcpConnect } from 'node:net'

/** A running proxy. */
export interface TcpProxy {
  /** The port to connect to instead of the target's. */
  port: number
  /** Stop every byte, on open connections and on those made while frozen. */
  freeze(): void
  /** Let bytes flow again (not on connections sent into the {@link blackhole}). */
  thaw(): void
  /**
   * Every connection open now goes silent for good, as when a host or route vanishes without a
   * FIN or RST; connections made afterwards pass. Only a timeout can tell, and only a new
   * connection helps.
   */
  blackhole(): void
  /** Connections made through the proxy so far. */
  readonly connections: number
  /** Close the proxy and every connection through it. */
  close(): Promise<void>
}

/** Proxy 127.0.0.1:<port> to 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  // Silent for good (blackhole): never resumed.
  const dead = new WeakSet<Socket>()
  let frozen = false
  let connections = 0
  const track = (socket: Socket): Socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    if (frozen) socket.pause()
    return socket
  }
  const server = createServer((client) => {
    connections++
    track(client)
    const upstream = track(tcpConnect(targetPort, '127.0.0.1'))
    // pipe() would resume a paused socket on its own; forward by hand, only while thawed.
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk) => {
        if (!to.write(chunk)) from.pause()
      })
      to.on('drain', () => {
        if (!frozen && !dead.has(from)) from.resume()
      })
      from.on('end', () => to.end())
      from.on('close', () => to.destroy())
    }
    forward(client, upstream)
    forward(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port')
  return {
    port: address.port,
    freeze() {
      frozen = true
      for (const socket of sockets) socket.pause()
    },
    thaw() {
      frozen = false
      for (const socket of sockets) if (!dead.has(socket)) socket.resume()
    },
    blackhole() {
      for (const socket of sockets) {
        dead.add(socket)
        socket.pause()
      }
    },
    get connections() {
      return connections
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    }
  }
}
