/**
 * The storage contract, run against every backend: the real LevelDB folder, the in-memory store
 * and a real redis-server. A new backend joins by adding one line to `backends`. A backend whose
 * log is shared by several instances (`shared`) takes appends in increasing seq order only.
 */
import { rmSync } from 'node:fs'
import { type RedisClusterProcess, type RedisProcess, redisCli, startRedis, startRedisCluster, tempDataDir, waitFor } from '@quire/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LevelStore } from '../src/storage/leveldb.js'
import { MemoryStore } from '../src/storage/memory.js'
import { RedisStore } from '../src/storage/redis.js'
import { CARRIED_ENTRY_BYTES } from '../src/storage/redis-scripts.js'
import { DocumentGoneError, type DocumentStore, HistoryConflictError, SeqConflictError, type StoredDocument } from '../src/storage/store.js'

let redis: RedisProcess
let redisCluster: RedisClusterProcess
beforeAll(async () => {
  ;[redis, redisCluster] = await Promise.all([startRedis(), startRedisCluster(3)])
})
afterAll(async () => {
  await redis?.kill('SIGTERM')
  if (redis) rmSync(redis.dir, { recursive: true, force: true })
  await redisCluster?.stop()
})

const backends: Array<{ name: string; shared?: boolean; open(): Promise<{ store: DocumentStore; reopen?: () => Promise<DocumentStore> }> }> = [
  { name: 'memory', open: async () => ({ store: new MemoryStore() }) },
  {
    name: 'leveldb',
    open: async () => {
      const dir = tempDataDir()
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      return { store: await LevelStore.open(dir, { sync: false }), reopen: () => LevelStore.open(dir, { sync: false }) }
    }
  },
  {
    name: 'redis',
    shared: true,
    open: async () => {
      redisCli(redis.port, 'FLUSHALL')
      return { store: await RedisStore.open(redis.url), reopen: () => RedisStore.open(redis.url) }
    }
  },
  {
    name: 'redis cluster (three primaries)',
    shared: true,
    open: async () => {
      for (const node of redisCluster.nodes) redisCli(node.port, 'FLUSHALL')
      return { store: await RedisStore.open(redisCluster.url), reopen: () => RedisStore.open(redisCluster.url) }
    }
  }
]

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

const bytes = (...values: number[]) => new Uint8Array(values)
// Backends may return Buffers (a Uint8Array subclass); the contract is about the bytes.
const plain = (doc: StoredDocument) => ({
  snapshot: doc.snapshot && [...doc.snapshot],
  log: doc.log.map((entry) => ({ seq: entry.seq, value: [...entry.value] }))
})

describe.each(backends)('SC1: storage contract: $name', (backend) => {
  it('an unknown document reads as empty', async () => {
    const { store } = await backend.open()
    expect(await store.read('nobody')).toEqual({ snapshot: undefined, log: [] })
    await store.close()
  })

  it('reads back appended entries in seq order, whatever the append order (shared logs: in increasing order)', async () => {
    const { store } = await backend.open()
    for (const seq of backend.shared ? [1, 2, 300] : [2, 1, 300]) await store.append('doc', seq, seq === 300 ? bytes(3, 0, 0) : bytes(seq))
    const { log } = await store.read('doc')
    expect(log.map((entry) => entry.seq)).toEqual([1, 2, 300])
    expect(log.map((entry) => [...entry.value])).toEqual([[1], [2], [3, 0, 0]])
    expect(await store.size('doc')).toBe(5)
    await store.close()
  })

  it('keeps documents apart, including names that are prefixes of each other', async () => {
    const { store } = await backend.open()
    await store.append('a', 1, bytes(1))
    await store.append('a/b', 1, bytes(2))
    await store.append('ab', 1, bytes(3))
    await store.append('a-', 1, bytes(4))
    await store.compact('a.b', bytes(9), 0)
    expect((await store.read('a')).log.map((e) => [...e.value])).toEqual([[1]])
    expect((await store.read('a/b')).log.map((e) => [...e.value])).toEqual([[2]])
    expect((await store.read('ab')).log.map((e) => [...e.value])).toEqual([[3]])
    expect((await store.read('a')).snapshot).toBeUndefined()
    await store.close()
  })

  it('compact stores the snapshot and drops exactly the entries up to throughSeq', async () => {
    const { store } = await backend.open()
    for (let seq = 1; seq <= 5; seq++) await store.append('doc', seq, bytes(seq))
    await store.compact('doc', bytes(7, 7), 3)
    const after = await store.read('doc')
    expect([...(after.snapshot ?? [])]).toEqual([7, 7])
    expect(after.log.map((entry) => entry.seq)).toEqual([4, 5])
    await store.compact('doc', bytes(8), 5)
    expect(plain(await store.read('doc'))).toEqual({ snapshot: [8], log: [] })
    await store.close()
  })

  it("does not keep a reference to the caller's buffer", async () => {
    const { store } = await backend.open()
    const value = bytes(1, 2, 3)
    await store.append('doc', 1, value)
    value[0] = 99
    expect([...(await store.read('doc')).log[0]!.value]).toEqual([1, 2, 3])
    await store.close()
  })

  it('keeps everything across close and reopen (durable backends)', async () => {
    const { store, reopen } = await backend.open()
    if (!reopen) return
    await store.append('doc', 1, bytes(1))
    await store.compact('doc', bytes(5), 0)
    await store.close()
    const again = await reopen()
    expect(plain(await again.read('doc'))).toEqual({ snapshot: [5], log: [{ seq: 1, value: [1] }] })
    await again.close()
  })

  it('HS13: a history write that expects another head than the stored one writes nothing', async () => {
    const { store } = await backend.open()
    await store.writeHistory('doc', { put: [{ id: 1, value: bytes(1) }], delete: [], head: bytes(10), expect: null })
    await expect(store.writeHistory('doc', { put: [{ id: 2, value: bytes(2) }], delete: [], head: bytes(20), expect: null })).rejects.toThrow(
      HistoryConflictError
    )
    await expect(store.writeHistory('doc', { put: [{ id: 2, value: bytes(2) }], delete: [], head: bytes(20), expect: bytes(11) })).rejects.toThrow(
      HistoryConflictError
    )
    await store.writeHistory('doc', { put: [{ id: 2, value: bytes(2) }], delete: [], head: bytes(20), expect: bytes(10) })
    const history = await store.readHistory('doc')
    expect({ head: [...(history.head ?? [])], ids: history.versions.map((version) => version.id) }).toEqual({ head: [20], ids: [1, 2] })
    await store.close()
  })

  it('SC1/HS1: history: head and versions read back in id order, written atomically, apart per document and apart from compaction', async () => {
    const { store, reopen } = await backend.open()
    expect(await store.readHistoryHead('doc')).toBeUndefined()
    expect(await store.readHistory('doc')).toEqual({ head: undefined, versions: [] })
    await store.writeHistory('doc', {
      put: [
        { id: 2, value: bytes(2) },
        { id: 1, value: bytes(1) },
        { id: 300, value: bytes(3) }
      ],
      delete: [],
      head: bytes(9)
    })
    await store.writeHistory('doc/x', { put: [{ id: 1, value: bytes(42) }], delete: [], head: bytes(8) })
    await store.writeHistory('doc', { put: [{ id: 1, value: bytes(11) }], delete: [2], head: bytes(10) })
    await store.append('doc', 1, bytes(5))
    await store.compact('doc', bytes(6), 1)
    const check = async (s: DocumentStore) => {
      const history = await s.readHistory('doc')
      expect([...(history.head ?? [])]).toEqual([10])
      expect(history.versions.map((v) => [v.id, ...v.value])).toEqual([
        [1, 11],
        [300, 3]
      ])
      expect([...((await s.readHistoryHead('doc')) ?? [])]).toEqual([10])
      expect((await s.readHistory('doc/x')).versions.map((v) => [v.id, ...v.value])).toEqual([[1, 42]])
      expect((await s.readHistory('do')).versions).toEqual([])
    }
    await check(store)
    let again = store
    if (reopen) {
      await store.close()
      again = await reopen()
      await check(again)
    }
    await again.delete('doc')
    expect(await again.readHistory('doc')).toEqual({ head: undefined, versions: [] })
    expect((await again.readHistory('doc/x')).versions).toHaveLength(1)
    await again.close()
  })

  it('AP7: list gives stored names under a prefix in order, a page at a time, log-only documents included', async () => {
    const { store } = await backend.open()
    // Names that sort differently as "<name>:" keys than as names ("a-1:" < "a:"), log-only and compacted ones.
    for (const name of ['a', 'a-1', 'a/b', 'a0', 'b', 'ab']) await store.append(name, 1, bytes(1))
    await store.compact('a0', bytes(9), 1)
    await store.compact('ab', bytes(9), 1)
    await store.read('never-written')
    const all = await store.list({ prefix: '', after: undefined, limit: 100 })
    expect(all).toEqual(['a', 'a-1', 'a/b', 'a0', 'ab', 'b'])
    expect(await store.list({ prefix: 'a', after: undefined, limit: 2 })).toEqual(['a', 'a-1'])
    expect(await store.list({ prefix: 'a', after: 'a-1', limit: 2 })).toEqual(['a/b', 'a0'])
    expect(await store.list({ prefix: 'a', after: 'a0', limit: 2 })).toEqual(['ab'])
    expect(await store.list({ prefix: 'a/', after: undefined, limit: 10 })).toEqual(['a/b'])
    expect(await store.list({ prefix: 'zz', after: undefined, limit: 10 })).toEqual([])
    await store.close()
  })

  it('AP7: delete removes everything of one document and nothing of another; the name can be used again', async () => {
    const { store } = await backend.open()
    await store.append('doc', 1, bytes(1))
    await store.compact('doc', bytes(5), 1)
    await store.append('doc', 2, bytes(2))
    await store.append('doc-2', 1, bytes(7))
    await store.append('doc/x', 1, bytes(8))
    await store.delete('doc')
    const gone = await store.read('doc')
    expect({ snapshot: gone.snapshot, log: gone.log }).toEqual({ snapshot: undefined, log: [] })
    expect(await store.size('doc')).toBe(0)
    expect(plain(await store.read('doc-2'))).toEqual({ snapshot: undefined, log: [{ seq: 1, value: [7] }] })
    expect(plain(await store.read('doc/x'))).toEqual({ snapshot: undefined, log: [{ seq: 1, value: [8] }] })
    expect(await store.list({ prefix: '', after: undefined, limit: 10 })).toEqual(['doc-2', 'doc/x'])
    // Used again by a writer that read it after the deletion (a shared store fences the others out, CL11).
    await store.append('doc', 1, bytes(3), gone.generation)
    expect(plain(await store.read('doc'))).toEqual({ snapshot: undefined, log: [{ seq: 1, value: [3] }] })
    await store.close()
  })

  it('rejects calls after close', async () => {
    const { store } = await backend.open()
    await store.close()
    await expect(store.read('doc')).rejects.toThrow()
  })
})

describe('LevelDB specifics', () => {
  it('CM3: a damaged compaction marker makes the read fail rather than hide log entries', async () => {
    const dir = tempDataDir()
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const store = await LevelStore.open(dir, { sync: false })
    await store.append('doc', 1, bytes(1))
    await store.compact('doc', bytes(5), 1)
    await store.append('doc', 2, bytes(2))
    expect(plain(await store.read('doc'))).toEqual({ snapshot: [5], log: [{ seq: 2, value: [2] }] })
    await store.close()
    const { Level } = await import('level')
    const raw = new Level<string, string>(dir)
    await raw.put('c:doc', 'not a seq')
    await raw.close()
    const again = await LevelStore.open(dir, { sync: false })
    await expect(again.read('doc')).rejects.toThrow(/damaged compaction marker/)
    await again.close()
  })
})

describe('Redis specifics', () => {
  const open = async () => {
    redisCli(redis.port, 'FLUSHALL')
    return RedisStore.open(redis.url)
  }

  it('CL1: an append at a seq another instance stored first is refused and writes nothing', async () => {
    const [a, b] = [await RedisStore.open(redis.url), await open()]
    await a.append('doc', 1, bytes(1))
    await expect(b.append('doc', 1, bytes(9))).rejects.toThrow(SeqConflictError)
    await b.append('doc', 2, bytes(2))
    await expect(a.append('doc', 2, bytes(8))).rejects.toMatchObject({ stored: 2 })
    expect(plain(await a.read('doc'))).toEqual({
      snapshot: undefined,
      log: [
        { seq: 1, value: [1] },
        { seq: 2, value: [2] }
      ]
    })
    const since = await a.readSince('doc', 1)
    expect(since.entries.map((entry) => [entry.seq, entry.instance])).toEqual([[2, b.instance]])
    await Promise.all([a.close(), b.close()])
  })

  it('CL1: every key of a document, history included, lands in one Cluster slot, through its hash tag', async () => {
    const store = await open()
    await store.append('team/notes.v2', 1, bytes(1))
    await store.compact('team/notes.v2', bytes(5), 1)
    await store.append('team/notes.v2', 2, bytes(2))
    await store.writeHistory('team/notes.v2', { put: [{ id: 1, value: bytes(3) }], delete: [], head: bytes(4) })
    const keys = redisCli(redis.port, 'KEYS', '*').trim().split('\n').sort()
    expect(keys).toEqual([
      'quire:{team/notes.v2}:log',
      'quire:{team/notes.v2}:meta',
      'quire:{team/notes.v2}:snap',
      'quire:{team/notes.v2}:v',
      'quire:{team/notes.v2}:vh'
    ])
    const slots = new Set(keys.map((key) => redisCli(redis.port, 'CLUSTER', 'KEYSLOT', key).trim()))
    expect(slots.size).toBe(1)
    await store.close()
  })

  it('CL2: two compactions racing leave the one that reaches further, and lose no entry', async () => {
    const [a, b] = [await open(), await RedisStore.open(redis.url)]
    for (let seq = 1; seq <= 6; seq++) await a.append('doc', seq, bytes(seq))
    // Both orders of the two compare-and-sets, and the two at once.
    await Promise.all([a.compact('doc', bytes(4, 4), 4), b.compact('doc', bytes(2, 2), 2)])
    expect(plain(await a.read('doc'))).toEqual({ snapshot: [4, 4], log: [5, 6].map((seq) => ({ seq, value: [seq] })) })
    await b.compact('doc', bytes(3, 3), 3)
    expect(plain(await a.read('doc'))).toEqual({ snapshot: [4, 4], log: [5, 6].map((seq) => ({ seq, value: [seq] })) })
    await a.compact('doc', bytes(6, 6), 6)
    await a.append('doc', 7, bytes(7))
    expect(plain(await b.read('doc'))).toEqual({ snapshot: [6, 6], log: [{ seq: 7, value: [7] }] })
    // Reading from a seq the snapshot has passed brings the snapshot with it.
    const since = await b.readSince('doc', 3)
    expect({ through: since.through, snapshot: [...(since.snapshot ?? [])], seqs: since.entries.map((e) => e.seq) }).toEqual({
      through: 6,
      snapshot: [6, 6],
      seqs: [7]
    })
    expect((await b.readSince('doc', 6)).snapshot).toBeUndefined()
    await Promise.all([a.close(), b.close()])
  })

  it('CL11: after a deletion, writes of an instance that read the document before are refused, and every instance hears of it', async () => {
    const [a, b] = [await open(), await RedisStore.open(redis.url)]
    const heard: unknown[] = []
    b.onMessage((name, message) => name === 'doc' && heard.push(message))
    await b.subscribe('doc')
    await a.append('doc', 1, bytes(1))
    const before = await a.read('doc')
    await writeHistoryOf(a, 'doc')
    await b.delete('doc')
    await expect(a.append('doc', 2, bytes(2), before.generation)).rejects.toThrow(DocumentGoneError)
    await expect(a.compact('doc', bytes(5), 1, before.generation)).rejects.toThrow(DocumentGoneError)
    await expect(a.writeHistory('doc', { put: [], delete: [], head: bytes(9), generation: before.generation })).rejects.toThrow(DocumentGoneError)
    const after = await a.read('doc')
    expect({ ...plain(after), generation: after.generation }).toEqual({ snapshot: undefined, log: [], generation: 1 })
    expect(await a.list({ prefix: '', after: undefined, limit: 10 })).toEqual([])
    await waitFor(() => heard.some((message) => (message as { kind: string }).kind === 'deleted'), 'the deletion on the channel')
    expect(heard.find((message) => (message as { kind: string }).kind === 'deleted')).toEqual({ kind: 'deleted', generation: 1, instance: b.instance })
    // A writer that read it after the deletion makes a new document of the name.
    await a.append('doc', 1, bytes(3), after.generation)
    expect(plain(await b.read('doc'))).toEqual({ snapshot: undefined, log: [{ seq: 1, value: [3] }] })
    await Promise.all([a.close(), b.close()])
  })

  it('CL1/CL4: a doorbell announces each append on the document channel, carrying the entry when it is small', async () => {
    const [a, b] = [await open(), await RedisStore.open(redis.url)]
    const heard: unknown[] = []
    b.onMessage((name, message) => heard.push({ name, ...message }))
    await b.subscribe('doc')
    // Binary, with the separator inside: the value is everything after the header.
    await a.append('doc', 1, bytes(0x3a, 0, 0xff, 0x3a))
    const large = new Uint8Array(CARRIED_ENTRY_BYTES + 1).fill(7)
    await a.append('doc', 2, large)
    await a.publishPresence('doc', bytes(0, 1, 2))
    await waitFor(() => heard.length === 3, 'two doorbells and the presence message')
    expect(heard).toEqual([
      { name: 'doc', kind: 'bell', seq: 1, instance: a.instance, carried: { generation: 0, value: bytes(0x3a, 0, 0xff, 0x3a) } },
      { name: 'doc', kind: 'bell', seq: 2, instance: a.instance },
      { name: 'doc', kind: 'presence', instance: a.instance, update: bytes(0, 1, 2) }
    ])
    await Promise.all([a.close(), b.close()])
  })
})

async function writeHistoryOf(store: DocumentStore, name: string): Promise<void> {
  await store.writeHistory(name, { put: [{ id: 1, value: bytes(1) }], delete: [], head: bytes(1) })
}
