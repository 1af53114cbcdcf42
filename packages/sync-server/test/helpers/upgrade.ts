/**
 * One WebSocket upgrade with the `ws` client, for admission tests: from a chosen loopback
 * address, with chosen headers (Origin, Host, X-Forwarded-For), resolving with the socket when
 * it opens or with the refusal's status and body.
 */
import WebSocket from 'ws'

/** How the upgrade is sent. */
export interface UpgradeOptions {
  /** Local (loopback) address to connect from, e.g. 127.0.0.2. */
  from?: string
  headers?: Record<string, string>
}

/** The outcome: 101 with the open socket, or the HTTP refusal. */
export interface UpgradeResult {
  status: number
  body: string
  ws?: WebSocket
}

/** Try to upgrade `url`; the socket of a 101 stays open for the caller to close. */
export function tryUpgrade(url: string, options: UpgradeOptions = {}): Promise<UpgradeResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress: options.from, headers: options.headers, perMessageDeflate: false })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.on('open', () => resolve({ status: 101, body: '', ws }))
    ws.on('error', reject)
  })
}

/** Close every socket among `results` and wait until each has closed. */
export async function closeAll(results: UpgradeResult[]): Promise<void> {
  await Promise.all(
    results.map(
      ({ ws }) =>
        new Promise<void>((resolve) => {
          if (!ws || ws.readyState === ws.CLOSED) return resolve()
          ws.once('close', () => resolve())
          ws.close()
        })
    )
  )
}
