/**
 * The compatibility matrix: stock y-websocket clients of two generations (3.x, which stops for
 * good on 44xx closes, and 2.x, which retries after every close) against the real server process
 * with default settings (tokens on, since two cases need them). Each generation must converge,
 * take a scripted writer flat out with nothing lost and no close (L2), a 2 MB paste, a restart
 * mid-typing, an expired token and a read-only token. See the README, "What each client
 * generation sees", and PROTOCOL.md rules C2 and L2.
 */
import { rmSync } from 'node:fs'
import { readMetric, rng, type ServerProcess, startServer, tempDataDir, waitFor, withSeed } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WebsocketProvider as ProviderV3 } from 'y-websocket'
import { WebsocketProvider as ProviderV2 } from 'y-websocket-v2'
import * as Y from 'yjs'
import { signToken } from '../src/auth/token.js'

process.setMaxListeners(Math.max(process.getMaxListeners(), 200))

const SECRET = 'compatibility-matrix-secret'
const WRITES = 20_000
const PASTE_BYTES = 2_000_000

/** What the tests need of either generation's WebsocketProvider. */
interface StockProvider {
  synced: boolean
  wsconnected: boolean
  shouldConnect: boolean
  on(event: string, listener: (...args: never[]) => void): void
  destroy(): void
}

type ProviderClass = new (url: string, room: string, doc: Y.Doc, options: Record<string, unknown>) => StockProvider

const GENERATIONS: Array<{ name: string; Provider: ProviderClass; stopsOn44xx: boolean }> = [
  { name: 'y-websocket 3.x', Provider: ProviderV3 as unknown as ProviderClass, stopsOn44xx: true },
  { name: 'y-websocket 2.x', Provider: ProviderV2 as unknown as ProviderClass, stopsOn44xx: false }
]

/** A stock client with every close it saw. */
interface Stock {
  doc: Y.Doc
  text: Y.Text
  provider: StockProvider
  closes: number[]
  synced(): Promise<void>
  destroy(): void
}

const folders: string[] = []
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

function token(doc: string, access: 'read' | 'write' = 'write', expiresInSeconds = 3600): Promise<string> {
  return signToken(SECRET, { doc, access, expiresInSeconds })
}

for (const generation of GENERATIONS) {
  describe(`compatibility matrix: ${generation.name}, default settings`, () => {
    let server: ServerProcess
    let dataDir: string
    const open: Stock[] = []

    beforeAll(async () => {
      dataDir = tempDataDir()
      folders.push(dataDir)
      server = await startServer({ dataDir, args: ['--auth-secret', SECRET] })
    })
    afterAll(async () => {
      for (const client of open) client.destroy()
      if (server.proc.exitCode === null) await server.kill('SIGTERM')
    })

    async function client(name: string, options: { token?: string; maxBackoffTime?: number } = {}): Promise<Stock> {
      const doc = new Y.Doc()
      const provider = new generation.Provider(server.wsUrl, name, doc, {
        WebSocketPolyfill: WebSocket,
        disableBc: true,
        params: { token: options.token ?? (await token(name)) },
        maxBackoffTime: options.maxBackoffTime ?? 500
      })
      const stock: Stock = {
        doc,
        text: doc.getText('codemirror'),
        provider,
        closes: [],
        synced: () => waitFor(() => provider.synced, `${generation.name} client of "${name}" to sync`),
        destroy() {
          provider.destroy()
          doc.destroy()
        }
      }
      provider.on('connection-close', ((event: { code: number } | null) => stock.closes.push(event?.code ?? -1)) as never)
      open.push(stock)
      return stock
    }

    /** A fresh client's view: what the server holds for `name`. */
    async function stored(name: string): Promise<string> {
      const fresh = await client(name)
      await fresh.synced()
      const text = fresh.text.toString()
      fresh.destroy()
      return text
    }

    it('two clients converge', async () => {
      const a = await client('two')
      const b = await client('two')
      await Promise.all([a.synced(), b.synced()])
      a.text.insert(0, 'from a. ')
      b.text.insert(0, 'from b. ')
      await waitFor(() => a.text.length === 16 && a.text.toString() === b.text.toString(), 'a and b to converge')
      expect(a.closes).toEqual([])
      expect(b.closes).toEqual([])
    })

    it(`L2: a scripted writer flat out (${WRITES.toLocaleString('en')} single-character inserts at random places) converges with nothing lost and no close`, async () => {
      await withSeed(20_000, async (seed) => {
        const random = rng(seed)
        const name = `fast-writer-${seed}`
        const writer = await client(name)
        const reader = await client(name)
        await Promise.all([writer.synced(), reader.synced()])
        const pausesBefore = (await readMetric(server.httpUrl, 'quire_read_pauses_total')) ?? 0
        const started = performance.now()
        for (let i = 0; i < WRITES; i++) writer.text.insert(Math.floor(random() * (writer.text.length + 1)), String.fromCharCode(97 + (i % 26)))
        const written = performance.now()
        await waitFor(() => reader.text.length === WRITES, `the reader to hold all ${WRITES} characters`, 90_000)
        const converged = performance.now()
        expect(reader.text.toString()).toBe(writer.text.toString())
        expect(writer.closes, 'the writer was never closed').toEqual([])
        expect(writer.provider.wsconnected).toBe(true)
        expect(await stored(name)).toBe(writer.text.toString())
        const pauses = ((await readMetric(server.httpUrl, 'quire_read_pauses_total')) ?? 0) - pausesBefore
        console.log(
          `[compatibility] ${generation.name}: ${WRITES} inserts written in ${Math.round(written - started)} ms, ` +
            `converged in ${Math.round(converged - started)} ms (read pauses: ${pauses})`
        )
      })
    })

    it('a 2 MB paste reaches the other client and storage, with no close', async () => {
      const a = await client('paste')
      const b = await client('paste')
      await Promise.all([a.synced(), b.synced()])
      const paste = 'lorem ipsum '.repeat(Math.ceil(PASTE_BYTES / 12)).slice(0, PASTE_BYTES)
      a.text.insert(0, paste)
      await waitFor(() => b.text.length === PASTE_BYTES, 'the paste to reach b', 60_000)
      expect(b.text.toString()).toBe(paste)
      expect(await stored('paste')).toBe(paste)
      expect(a.closes).toEqual([])
      expect(b.closes).toEqual([])
    })

    it('a server restart mid-typing: the clients reconnect on their own and nothing typed is lost', async () => {
      const a = await client('restart')
      const b = await client('restart')
      await Promise.all([a.synced(), b.synced()])
      let typed = 0
      const type = async (count: number) => {
        for (let i = 0; i < count; i++) {
          a.text.insert(a.text.length, `<${typed++}>`)
          await new Promise((resolve) => setImmediate(resolve))
        }
      }
      await type(50)
      const port = server.port
      server.proc.kill('SIGKILL')
      await server.exited
      // Typed while the server is down: held by the client, sent when it reconnects.
      await type(50)
      server = await startServer({ dataDir, port, args: ['--auth-secret', SECRET] })
      await waitFor(() => a.provider.synced && b.provider.synced, 'both clients to resync after the restart', 60_000)
      await type(50)
      const expected = Array.from({ length: typed }, (_, i) => `<${i}>`).join('')
      await waitFor(() => a.text.toString() === expected && b.text.toString() === expected, 'a and b to hold everything typed', 60_000)
      expect(await stored('restart')).toBe(expected)
      expect(a.provider.shouldConnect, 'the client kept reconnecting').toBe(true)
    })

    it('a read-only token syncs and reads, its changes are not stored, and it is not closed', async () => {
      const writer = await client('read-only')
      await writer.synced()
      writer.text.insert(0, 'written. ')
      const reader = await client('read-only', { token: await token('read-only', 'read') })
      await reader.synced()
      await waitFor(() => reader.text.toString() === 'written. ', 'the reader to see the text')
      reader.text.insert(0, 'not allowed. ')
      writer.text.insert(writer.text.length, 'more.')
      await waitFor(() => reader.text.toString().endsWith('more.'), 'the reader to see later writes')
      expect(writer.text.toString()).toBe('written. more.')
      expect(await stored('read-only')).toBe('written. more.')
      expect(reader.closes).toEqual([])
      expect(reader.provider.wsconnected).toBe(true)
    })

    it(
      generation.stopsOn44xx
        ? 'C2: a token that expires during the session closes with 4401, and 3.x stops and says so'
        : 'C2: a token that expires during the session closes with 4401, and 2.x retries at a cost bounded by its backoff',
      async () => {
        const client_ = await client('expiring', { token: await token('expiring', 'write', 5) })
        const terminal: number[] = []
        client_.provider.on('closed', ((event: { code: number }) => terminal.push(event.code)) as never)
        await client_.synced()
        await waitFor(() => client_.closes.includes(4401), 'the close at expiry', 15_000)
        if (generation.stopsOn44xx) {
          await waitFor(() => terminal.length > 0, "3.x's closed event")
          expect(terminal).toEqual([4401])
          expect(client_.provider.shouldConnect).toBe(false)
          return
        }
        // 2.x retries with the expired token; each attempt is refused before the upgrade (401).
        const refused = async () => (await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="token_expired"}')) ?? 0
        const first = await refused()
        const from = performance.now()
        await waitFor(async () => (await refused()) >= first + 3, 'three refused retries', 30_000)
        const attempts = (await refused()) - first
        const perSecond = attempts / ((performance.now() - from) / 1000)
        // Its backoff (100 ms doubling, up to maxBackoffTime) keeps it to a handful a second.
        expect(perSecond, `${attempts} retries`).toBeLessThan(10)
        client_.destroy()
      }
    )
  })
}

// Depends on the per-address auth-failure block not locking out other clients of that address
// (the "admission" work): a 2.x client retrying an expired token past --max-auth-failures.
describe('compatibility matrix: a 2.x client retrying an expired token locks out no one else', () => {
  let server: ServerProcess

  beforeAll(async () => {
    const dataDir = tempDataDir()
    folders.push(dataDir)
    server = await startServer({ dataDir, args: ['--auth-secret', SECRET] })
  })
  afterAll(async () => {
    if (server.proc.exitCode === null) await server.kill('SIGTERM')
  })

  it('another client from the same address with a valid token still connects', async () => {
    const doc = new Y.Doc()
    const stale = new ProviderV2(server.wsUrl, 'lockout', doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      params: { token: await token('lockout', 'write', 1) },
      maxBackoffTime: 200
    })
    try {
      // Not waiting for its first sync: on a loaded machine the one-second token can expire before
      // the first upgrade, and the retries past expiry are what this test is about either way.
      // More failed retries than --max-auth-failures (20) allows from one address in a minute.
      const refused = async () =>
        ((await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="token_expired"}')) ?? 0) +
        ((await readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="auth_blocked"}')) ?? 0)
      await waitFor(async () => (await refused()) > 25, 'the 2.x client to retry past the failure limit', 60_000)
      const other = new Y.Doc()
      const valid = new ProviderV3(server.wsUrl, 'lockout', other, {
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        disableBc: true,
        params: { token: await token('lockout') }
      })
      try {
        await waitFor(() => valid.synced, 'a client with a valid token to sync', 15_000)
      } finally {
        valid.destroy()
        other.destroy()
      }
    } finally {
      stale.destroy()
      doc.destroy()
    }
  })
})
