/**
 * A storage that fails or stalls (issue 4, "Crashes"): an in-process server over a
 * fault-injecting wrapper of the real LevelDB store. Whatever the store does, the server does
 * not crash, relays nothing it has not stored, never overwrites good data, and recovers when the
 * store does.
 */
import { rmSync } from 'node:fs'
import { CloseCode, writeFrame } from '@quire/protocol'
import { type Client, connect, tempDataDir, waitFor } from '@quire/testkit'
import { pino } from 'pino'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createServer, type QuireServer } from '../src/server.js'
import { LevelStore } from '../src/storage/leveldb.js'
import type { DocumentStore, HistoryWrite, StoredDocument, StoredHistory } from '../src/storage/store.js'
import { storedDocument } from './helpers/stored.js'
import { watched } from './helpers/watched.js'

type Fault = 'ok' | 'fail' | 'stall' | 'fail-after-write'

/** Wraps a real store; each operation can fail, stall, or succeed and then report failure, per document. */
class FaultyStore implements DocumentStore {
  readonly mode: { append: Fault; read: Fault; compact: Fault } = { append: 'ok', read: 'ok', compact: 'ok' }
  /** Only these documents are affected; the others always work. */
  readonly targets = new Set<string>()
  readonly calls: Array<{ op: 'append' | 'read' | 'compact'; name: string; outcome: Fault }> = []
  private stalled: Array<() => void> = []

  constructor(private readonly inner: DocumentStore) {}

  get stalledCount(): number {
    return this.stalled.length
  }

  count(op: 'append' | 'read' | 'compact', name: string, outcome?: Fault): number {
    return this.calls.filter((call) => call.op === op && call.name === name && (outcome === undefined || call.outcome === outcome)).length
  }

  /** Back to normal, and let every stalled operation go on. */
  heal(): void {
    this.mode.append = this.mode.read = this.mode.compact = 'ok'
    this.unstall()
  }

  /** Stop stalling (failures stay), and let every stalled operation go on. */
  unstall(): void {
    for (const op of ['append', 'read', 'compact'] as const) if (this.mode[op] === 'stall') this.mode[op] = 'ok'
    for (const release of this.stalled.splice(0)) release()
  }

  private async around<T>(op: 'append' | 'read' | 'compact', name: string, run: () => Promise<T>): Promise<T> {
    const outcome = this.targets.has(name) ? this.mode[op] : 'ok'
    this.calls.push({ op, name, outcome })
    if (outcome === 'fail') throw new Error(`injected ${op} failure`)
    if (outcome === 'stall') await new Promise<void>((resolve) => this.stalled.push(resolve))
    const result = await run()
    if (outcome === 'fail-after-write') throw new Error(`injected ${op} failure after the write`)
    return result
  }

  read(name: string): Promise<StoredDocument> {
    return this.around('read', name, () => this.inner.read(name))
  }
  append(name: string, seq: number, value: Uint8Array): Promise<void> {
    return this.around('append', name, () => this.inner.append(name, seq, value))
  }
  compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    return this.around('compact', name, () => this.inner.compact(name, snapshot, throughSeq))
  }
  size(name: string): Promise<number> {
    return this.inner.size(name)
  }
  readHistoryHead(name: string): Promise<Uint8Array | undefined> {
    return this.inner.readHistoryHead(name)
  }
  readHistory(name: string): Promise<StoredHistory> {
    return this.inner.readHistory(name)
  }
  writeHistory(name: string, write: HistoryWrite): Promise<void> {
    return this.inner.writeHistory(name, write)
  }
  list(options: Parameters<DocumentStore['list']>[0]): Promise<string[]> {
    return this.inner.list(options)
  }
  delete(name: string): Promise<void> {
    return this.inner.delete(name)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}

interface Running {
  server: QuireServer
  store: FaultyStore
  wsUrl: string
  httpUrl: string
  dataDir: string
  logs: Array<Record<string, unknown>>
  clients: Client[]
  client(name: string): Client
  stop(): Promise<void>
}

const folders: string[] = []
const running: Running[] = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop()
})
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

async function start(options: { dataDir?: string; compactEvery?: number } = {}): Promise<Running> {
  const dataDir = options.dataDir ?? tempDataDir()
  if (!folders.includes(dataDir)) folders.push(dataDir)
  const store = new FaultyStore(await LevelStore.open(dataDir, { sync: false }))
  const logs: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) })
  const server = createServer({ port: 0, host: '127.0.0.1', store, logger, unloadGraceMs: 100, compactEvery: options.compactEvery ?? 500 })
  const { url } = await server.listen()
  let stopped = false
  const r: Running = {
    server,
    store,
    wsUrl: url.replace('http', 'ws'),
    httpUrl: url,
    dataDir,
    logs,
    clients: [],
    client(name) {
      const c = connect(r.wsUrl, name)
      r.clients.push(c)
      return c
    },
    async stop() {
      if (stopped) return
      stopped = true
      for (const c of r.clients) c.destroy()
      store.unstall()
      await server.close()
    }
  }
  running.push(r)
  return r
}

function closeCodes(client: Client): number[] {
  const codes: number[] = []
  client.provider.on('connection-close', (event) => codes.push((event as { code?: number } | null)?.code ?? -1))
  return codes
}

describe('storage faults', () => {
  it('DV4: a failing append: the writer is closed with 4500, nothing is relayed, other documents work, and the edit is stored once the store recovers', async () => {
    const r = await start()
    const name = 'append-fails'
    r.store.targets.add(name)
    const writer = r.client(name)
    const watcher = r.client(name)
    const writerCodes = closeCodes(writer)
    await Promise.all([writer.synced(), watcher.synced()])
    writer.text.insert(0, 'base. ')
    await waitFor(() => watcher.text.toString() === 'base. ', 'the base text to reach the watcher')

    let healed = false
    let leaked = false
    watcher.doc.on('update', () => {
      if (!healed && watcher.text.toString().includes('LOST?')) leaked = true
    })
    r.store.mode.append = 'fail'
    writer.text.insert(writer.text.length, 'LOST? ')
    await waitFor(() => writerCodes.includes(CloseCode.StorageFailure), 'the writer to be closed with 4500')
    // The writer reconnects on its own and resends; while the store fails, that fails again.
    await waitFor(() => r.store.count('append', name, 'fail') >= 2, 'the writer to reconnect and resend')
    expect(leaked, 'the watcher received an update that was never stored').toBe(false)
    // A fresh client, joining between failures, never sees it either.
    const fresh = await watched(`${r.wsUrl}/${name}`, { waitForJoin: false })
    fresh.ws.send(writeFrame({ type: 'sync-step1', stateVector: new Uint8Array([0]) }))
    await waitFor(() => fresh.closed !== undefined || fresh.count('sync-step2') > 0, 'the fresh client to be answered or closed', 10_000)
    for (const frame of fresh.frames)
      if (frame.type === 'sync-step2' || frame.type === 'sync-update') {
        const doc = new Y.Doc()
        Y.applyUpdate(doc, frame.update)
        expect(doc.getText('codemirror').toString()).not.toContain('LOST?')
      }
    fresh.ws.close()

    // The server is alive, and another document works meanwhile.
    expect((await fetch(`${r.httpUrl}/healthz`)).status).toBe(200)
    const a = r.client('bystander')
    const b = r.client('bystander')
    await Promise.all([a.synced(), b.synced()])
    a.text.insert(0, 'unaffected')
    await waitFor(() => b.text.toString() === 'unaffected', 'the other document to relay')
    expect(leaked).toBe(false)

    // The store recovers: the writer's next reconnect stores its edit and everyone gets it.
    healed = true
    r.store.heal()
    await waitFor(() => watcher.text.toString() === 'base. LOST? ', 'the resent edit to reach the watcher', 15_000)
    await waitFor(() => writer.provider.synced, 'the writer to be synced again')
    expect(writer.text.toString()).toBe('base. LOST? ')
    expect(r.logs.some((line) => line.msg === 'storage write failed; updates not relayed' && line.doc === name)).toBe(true)
    await r.stop()
    expect((await storedDocument(r.dataDir, name)).text).toBe('base. LOST? ')
    expect((await storedDocument(r.dataDir, 'bystander')).text).toBe('unaffected')
  })

  it('DV1/DV3: a stalled append: nothing is relayed or answered meanwhile, then everything arrives in order', async () => {
    const r = await start()
    const name = 'append-stalls'
    r.store.targets.add(name)
    const writer = r.client(name)
    await writer.synced()
    const observer = await watched(`${r.wsUrl}/${name}`)
    const writerCodes = closeCodes(writer)

    r.store.mode.append = 'stall'
    writer.text.insert(0, 'one')
    await waitFor(() => r.store.stalledCount === 1, 'the first write to stall')
    for (const piece of ['two', 'three']) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      writer.text.insert(writer.text.length, piece)
    }
    // The observer asks after the edits arrived: anything relayed before its answer would precede it.
    await observer.barrier()
    expect(observer.count('sync-update')).toBe(0)
    // A newcomer's sync is not answered from unstored state either.
    const newcomer = await watched(`${r.wsUrl}/${name}`)
    newcomer.ws.send(writeFrame({ type: 'sync-step1', stateVector: new Uint8Array([0]) }))
    await newcomer.barrier()
    expect(newcomer.count('sync-step2')).toBe(0)
    // Another document is not held up.
    const a = r.client('free')
    const b = r.client('free')
    await Promise.all([a.synced(), b.synced()])
    a.text.insert(0, 'moving')
    await waitFor(() => b.text.toString() === 'moving', 'the other document to relay during the stall')
    expect(observer.count('sync-update')).toBe(0)

    r.store.heal()
    await waitFor(() => {
      const doc = new Y.Doc()
      for (const frame of observer.frames) if (frame.type === 'sync-update') Y.applyUpdate(doc, frame.update)
      return doc.getText('codemirror').toString() === 'onetwothree'
    }, 'the observer to receive every stalled update')
    // In order: each relayed update applies on top of the ones before it, with nothing pending.
    const doc = new Y.Doc()
    const texts: string[] = []
    for (const frame of observer.frames) {
      if (frame.type !== 'sync-update') continue
      Y.applyUpdate(doc, frame.update)
      expect(doc.store.pendingStructs, 'an update arrived before one it depends on').toBeNull()
      texts.push(doc.getText('codemirror').toString())
    }
    expect(texts[0]).toBe('one')
    expect(texts.at(-1)).toBe('onetwothree')
    await waitFor(() => newcomer.count('sync-step2') > 0, "the newcomer's answer after the stall")
    const answer = new Y.Doc()
    for (const frame of newcomer.frames) if (frame.type === 'sync-step2') Y.applyUpdate(answer, frame.update)
    expect(answer.getText('codemirror').toString()).toBe('onetwothree')
    expect(writerCodes).toHaveLength(0)
    observer.ws.close()
    newcomer.ws.close()
    await r.stop()
    expect((await storedDocument(r.dataDir, name)).text).toBe('onetwothree')
  })

  it('LS2: a failing read on load closes the client with 4503 and writes nothing; once the store recovers the document loads', async () => {
    const r = await start()
    const name = 'read-fails'
    const seed = r.client(name)
    await seed.synced()
    seed.text.insert(0, 'precious content')
    const check = r.client(name)
    await check.synced()
    await waitFor(() => check.text.toString() === 'precious content', 'the content to be stored')
    seed.destroy()
    check.destroy()
    r.clients.length = 0
    await waitFor(() => r.server.documentsLoaded() === 0, 'the document to unload')
    // Unloading ends once its last writes (version, compaction) are done: the gauge drops then.
    await waitFor(async () => (await r.server.metrics.documentsLoaded.get()).values[0]?.value === 0, 'the unload to finish')
    const writesBefore = r.store.count('append', name) + r.store.count('compact', name)

    r.store.targets.add(name)
    r.store.mode.read = 'fail'
    const refused = await watched(`${r.wsUrl}/${name}`, { waitForJoin: false })
    // It may already have sent its edits; they must go nowhere.
    const local = new Y.Doc()
    local.getText('codemirror').insert(0, 'OVERWRITE ')
    refused.ws.send(writeFrame({ type: 'sync-step2', update: Y.encodeStateAsUpdate(local) }))
    await waitFor(() => refused.closed !== undefined, 'the client to be closed', 10_000)
    expect(refused.closed!.code).toBe(CloseCode.LoadFailed)
    expect(refused.count('sync-step1')).toBe(0)
    expect(r.store.count('append', name) + r.store.count('compact', name)).toBe(writesBefore)

    // A stalled read: nothing is answered until the load completes.
    r.store.mode.read = 'stall'
    const waiting = await watched(`${r.wsUrl}/${name}`, { waitForJoin: false })
    waiting.ws.send(writeFrame({ type: 'sync-step1', stateVector: new Uint8Array([0]) }))
    await waitFor(() => r.store.stalledCount === 1, 'the read to stall')
    expect(waiting.frames).toHaveLength(0)
    r.store.heal()
    await waitFor(() => waiting.count('sync-step2') > 0, 'the answer once loaded')
    const answer = new Y.Doc()
    for (const frame of waiting.frames) if (frame.type === 'sync-step2') Y.applyUpdate(answer, frame.update)
    expect(answer.getText('codemirror').toString()).toBe('precious content')
    waiting.ws.close()

    const later = r.client(name)
    await later.synced()
    expect(later.text.toString()).toBe('precious content')
    expect((await fetch(`${r.httpUrl}/healthz`)).status).toBe(200)
    await r.stop()
    expect((await storedDocument(r.dataDir, name)).text).toBe('precious content')
  })

  it('CM1: a failing compaction keeps the log and the content, including at unload; good data is never overwritten', async () => {
    const r = await start({ compactEvery: 3 })
    const failing = 'compact-fails'
    const lying = 'compact-fails-after-write'
    r.store.targets.add(failing)
    r.store.targets.add(lying)
    const expected: Record<string, string> = {}
    for (const name of [failing, lying]) {
      r.store.mode.compact = name === failing ? 'fail' : 'fail-after-write'
      const writer = r.client(name)
      const reader = r.client(name)
      await Promise.all([writer.synced(), reader.synced()])
      for (let i = 0; i < 10; i++) {
        writer.text.insert(writer.text.length, `line ${i}\n`)
        const want = writer.text.toString()
        await waitFor(() => reader.text.toString() === want, `line ${i} to be relayed`)
      }
      expected[name] = writer.text.toString()
      expect(r.store.count('compact', name), `compactions attempted on ${name}`).toBeGreaterThanOrEqual(3)
      // Edits keep flowing after failed compactions, and a newcomer gets everything.
      const newcomer = r.client(name)
      await newcomer.synced()
      expect(newcomer.text.toString()).toBe(expected[name])
    }
    expect(r.logs.filter((line) => line.msg === 'compaction failed; the log is kept').length).toBeGreaterThanOrEqual(2)

    // Unload (compaction at close fails too), then load again from the same store.
    r.store.mode.compact = 'fail'
    for (const c of r.clients.splice(0)) c.destroy()
    await waitFor(() => r.server.documentsLoaded() === 0, 'the documents to unload')
    for (const name of [failing, lying]) {
      const again = r.client(name)
      await again.synced()
      expect(again.text.toString()).toBe(expected[name])
    }
    await r.stop()
    expect(r.logs.filter((line) => line.msg === 'compaction at unload failed; the log is kept').length).toBeGreaterThanOrEqual(2)
    const stored = await storedDocument(r.dataDir, failing)
    expect(stored.text).toBe(expected[failing])
    expect(stored.logEntries, 'the log is kept').toBeGreaterThan(0)
    expect((await storedDocument(r.dataDir, lying)).text).toBe(expected[lying])

    // With a working store, compaction succeeds later and the content is still exact.
    const healthy = await start({ dataDir: r.dataDir, compactEvery: 3 })
    for (const name of [failing, lying]) {
      const writer = healthy.client(name)
      await writer.synced()
      expect(writer.text.toString()).toBe(expected[name])
      for (let i = 0; i < 4; i++) writer.text.insert(writer.text.length, `more ${i}\n`)
      expected[name] = writer.text.toString()
      const check = healthy.client(name)
      await check.synced()
      await waitFor(() => check.text.toString() === expected[name], 'the new lines to be stored')
    }
    await healthy.stop()
    for (const name of [failing, lying]) expect((await storedDocument(r.dataDir, name)).text).toBe(expected[name])
  })
})
