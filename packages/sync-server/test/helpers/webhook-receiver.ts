/**
 * A real HTTP webhook receiver on loopback for tests: records every request (headers, raw body,
 * arrival time) and answers each as `answer` decides: a status now, a status after a delay, or
 * never (the request hangs until the receiver closes).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request the receiver got. */
export interface ReceivedRequest {
  headers: IncomingMessage['headers']
  body: string
  /** performance.now() when the whole body had arrived. */
  at: number
}

/** How to answer the n-th request (0-based): a status, a status after `delayMs`, or `hang`. */
export type Answer = number | { status: number; delayMs: number } | 'hang'

/** A running receiver. */
export interface Receiver {
  url: string
  requests: ReceivedRequest[]
  /** Requests received and not answered yet. */
  hanging(): number
  /** Stop listening and drop every open request. */
  close(): Promise<void>
}

/** Start a receiver on 127.0.0.1, port 0, answering as `answer` says (default: 200 at once). */
export async function startReceiver(answer: (index: number, request: ReceivedRequest) => Answer = () => 200): Promise<Receiver> {
  const requests: ReceivedRequest[] = []
  const open = new Set<ServerResponse>()
  const timers = new Set<NodeJS.Timeout>()
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      const request = { headers: req.headers, body, at: performance.now() }
      const index = requests.push(request) - 1
      const how = answer(index, request)
      if (how === 'hang') {
        open.add(res)
        res.on('close', () => open.delete(res))
        return
      }
      const { status, delayMs } = typeof how === 'number' ? { status: how, delayMs: 0 } : how
      const reply = () => {
        res.writeHead(status, { 'Content-Type': 'text/plain' })
        res.end('ok')
      }
      if (delayMs === 0) return reply()
      open.add(res)
      const timer = setTimeout(() => {
        timers.delete(timer)
        open.delete(res)
        reply()
      }, delayMs)
      timers.add(timer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    hanging: () => open.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer)
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** The JSON bodies of `requests` whose event type is `type`. */
export function eventsOf(requests: ReceivedRequest[], type: string): Array<Record<string, unknown>> {
  return requests.map((request) => JSON.parse(request.body) as Record<string, unknown>).filter((event) => event.type === type)
}
