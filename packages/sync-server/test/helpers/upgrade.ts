/**
 * One WebSocket upgrade with the `ws` client, for admission tests: from a chosen loopback
 * address, with chosen headers (Origin, Host, X-Forwarded-For), resolving with the socket when
 * it opens or with the refusal's status and body.
 */
import { rmSync } from 'node:fs'
import { type ServerProcess, startServer, tempDataDir } from '@quire/testkit'
import { afterAll } from 'vitest'
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

/**
 * What an admission test file keeps until its end: data folders and upgraded sockets. Call once at
 * the top of the file; everything is closed and removed after its last test.
 */
export function admissionScratch() {
  const folders: string[] = []
  const opened: UpgradeResult[] = []
  afterAll(async () => {
    await closeAll(opened)
    for (const dir of folders) rmSync(dir, { recursive: true, force: true })
  })
  /** An empty folder, removed at the end. */
  const scratch = (): string => {
    const dir = tempDataDir()
    folders.push(dir)
    return dir
  }
  return {
    scratch,
    /** The real server on a fresh data folder with `args`. */
    start: (args: string[]): Promise<ServerProcess> => startServer({ dataDir: scratch(), args }),
    /** Upgrade `url`; the socket of a 101 stays open until the end of the file. */
    async upgrade(url: string, options: UpgradeOptions = {}): Promise<UpgradeResult> {
      const result = await tryUpgrade(url, options)
      opened.push(result)
      return result
    }
  }
}
