/**
 * The LevelDB adapter: the only module that touches `level`. Key schema (README "Storage"):
 *   s:<name>                  snapshot record
 *   l:<name>:<seq, 16 hex>    log record
 *   c:<name>                  the seq the latest compaction covered, as 16 hex digits
 *   v:<name>:<id, 16 hex>     version record (history)
 *   vh:<name>                 history head record
 * Names never contain ":" (PROTOCOL.md N3), so one document's keys never interleave another's.
 *
 * Compaction deletes log entries, and LevelDB keeps each deletion as a tombstone until its own
 * compaction gets to it; a read that walked the log from its first key would step over every one
 * (~2 ms for a document typed as 100,000 updates). Reads and compactions start after `c:<name>`.
 */
import { Level } from 'level'
import { sameHead } from './same-head.js'
import {
  type DocumentStore,
  HistoryConflictError,
  type HistoryWrite,
  type SnapshotReader,
  type StoredDocument,
  type StoredEntry,
  type StoredHistory
} from './store.js'

/** Why a data folder could not be opened. */
export class StoreOpenError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause })
    this.name = 'StoreOpenError'
  }
}

const snapshotKey = (name: string) => `s:${name}`
const logPrefix = (name: string) => `l:${name}:`
const logKey = (name: string, seq: number) => logPrefix(name) + toHex(seq)
// ";" sorts right after ":", so [prefix, prefixEnd) holds exactly one document's log.
const logPrefixEnd = (name: string) => `l:${name};`
const compactedKey = (name: string) => `c:${name}`
const versionPrefix = (name: string) => `v:${name}:`
const versionKey = (name: string, id: number) => versionPrefix(name) + toHex(id)
const versionPrefixEnd = (name: string) => `v:${name};`
const headKey = (name: string) => `vh:${name}`
const toHex = (seq: number) => seq.toString(16).padStart(16, '0')

/** What a copy wrote: how many entries and how many bytes of keys and values. */
export interface CopyResult {
  entries: number
  bytes: number
}

/**
 * LevelDB's memory, smaller than its defaults (8 MiB block cache, 4 MiB write buffer): both stay
 * resident in an idle server, and were about a quarter of its RSS per idle document in the bench
 * (W4; docs/BENCHMARKS.md, issue 15). The cache serves repeated reads of the same blocks, which
 * Quire rarely makes (a document is read once when it wakes and is then kept in memory); a smaller
 * write buffer means more, smaller memtable flushes (W2 flat out showed no change beyond its noise).
 */
const MEMORY_OPTIONS = { cacheSize: 1024 * 1024, writeBufferSize: 1024 * 1024 }

// How much one snapshot read may gather before it yields.
const SNAPSHOT_READ_BYTES = 1024 * 1024

interface PendingAppends {
  ops: Array<{ type: 'put'; key: string; value: Uint8Array }>
  settle: Array<(error?: Error) => void>
  written: Promise<void>
}

/**
 * A {@link DocumentStore} in a LevelDB folder. Appends made in one event-loop turn, from any
 * number of documents, go to LevelDB as one batch: one native call instead of one per document.
 * Each document still has at most one append in flight, so its order is its own.
 */
export class LevelStore implements DocumentStore {
  private pending: PendingAppends | undefined

  private constructor(
    private readonly db: Level<string, Uint8Array>,
    private readonly sync: boolean
  ) {}

  /**
   * Open the folder, creating it if needed (unless `createIfMissing` is false: a backup to read
   * must already be there); `sync` makes every write fsync before it resolves.
   */
  static async open(folder: string, options: { sync: boolean; createIfMissing?: boolean }): Promise<LevelStore> {
    const db = new Level<string, Uint8Array>(folder, {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
      createIfMissing: options.createIfMissing ?? true,
      ...MEMORY_OPTIONS
    })
    try {
      await db.open()
    } catch (error) {
      throw openError(folder, error)
    }
    const store = new LevelStore(db, options.sync)
    // The empty name is no document's (N2). Reading it opens LevelDB's table files and runs the
    // read path once, which would otherwise cost the first client after a restart ~1.5 ms.
    await store.read('')
    return store
  }

  async read(name: string): Promise<StoredDocument> {
    const [snapshot, from] = await Promise.all([this.db.get(snapshotKey(name)), this.logStart(name)])
    const log: StoredDocument['log'] = []
    for await (const [key, value] of this.db.iterator({ gte: from, lt: logPrefixEnd(name) })) {
      log.push({ seq: Number.parseInt(key.slice(logPrefix(name).length), 16), value })
    }
    return { snapshot, log }
  }

  // The first log key that can still exist: just past what the latest compaction covered.
  private async logStart(name: string): Promise<string> {
    const covered = await this.db.get(compactedKey(name))
    if (covered === undefined) return logPrefix(name)
    const hex = new TextDecoder().decode(covered)
    // Never guess past a damaged marker: that would hide log entries.
    if (!/^[0-9a-f]{16}$/.test(hex)) throw new Error(`damaged compaction marker for "${name}": ${JSON.stringify(hex.slice(0, 40))}`)
    return logKey(name, Number.parseInt(hex, 16) + 1)
  }

  append(name: string, seq: number, value: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      const pending = this.pending ?? this.startBatch()
      pending.ops.push({ type: 'put', key: logKey(name, seq), value })
      pending.settle.push((error) => (error ? reject(error) : resolve()))
    })
  }

  private startBatch(): PendingAppends {
    let done!: () => void
    const pending: PendingAppends = { ops: [], settle: [], written: new Promise((resolve) => (done = resolve)) }
    this.pending = pending
    setImmediate(() => {
      this.pending = undefined
      this.db
        .batch(pending.ops, { sync: this.sync })
        .then(
          () => pending.settle.forEach((settle) => settle()),
          (error: Error) => pending.settle.forEach((settle) => settle(error))
        )
        .finally(done)
    })
    return pending
  }

  async compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    const batch = this.db.batch()
    batch.put(snapshotKey(name), snapshot)
    batch.put(compactedKey(name), new TextEncoder().encode(toHex(throughSeq)))
    for await (const key of this.db.keys({ gte: await this.logStart(name), lte: logKey(name, throughSeq) })) batch.del(key)
    await batch.write({ sync: this.sync })
  }

  // Names are ASCII up to "~" (N3), so "<prefix>\x7f" bounds every key under a prefix.
  async list(options: { prefix: string; after: string | undefined; limit: number }): Promise<string[]> {
    const { prefix, after, limit } = options
    if (limit <= 0) return []
    const floor = after !== undefined && after >= prefix ? after : undefined
    const names = new Set<string>()
    // Snapshot keys are in name order: the first `limit` of them are bounded work.
    const range = floor === undefined ? { gte: snapshotKey(prefix) } : { gt: snapshotKey(floor) }
    for await (const key of this.db.keys({ ...range, lt: `s:${prefix}\x7f`, limit })) names.add(key.slice(2))
    // A document that has never been compacted has only log keys. Those sort by "<name>:", which
    // is not name order ("a-1:" < "a:"), so the whole prefix is walked, one seek per document.
    const logs = this.db.keys({ gte: `l:${prefix}`, lt: `l:${prefix}\x7f` })
    try {
      for (let key = await logs.next(); key !== undefined; key = await logs.next()) {
        const name = key.slice(2, key.lastIndexOf(':'))
        if (floor === undefined || name > floor) names.add(name)
        logs.seek(logPrefixEnd(name))
      }
    } finally {
      await logs.close()
    }
    return [...names].sort().slice(0, limit)
  }

  async delete(name: string): Promise<void> {
    const batch = this.db.batch()
    batch.del(snapshotKey(name))
    batch.del(compactedKey(name))
    for await (const key of this.db.keys({ gte: logPrefix(name), lt: logPrefixEnd(name) })) batch.del(key)
    batch.del(headKey(name))
    for await (const key of this.db.keys({ gte: versionPrefix(name), lt: versionPrefixEnd(name) })) batch.del(key)
    await batch.write({ sync: this.sync })
  }

  async size(name: string): Promise<number> {
    const { snapshot, log } = await this.read(name)
    return (snapshot?.length ?? 0) + log.reduce((sum, entry) => sum + entry.value.length, 0)
  }

  readHistoryHead(name: string): Promise<Uint8Array | undefined> {
    return this.db.get(headKey(name))
  }

  async readHistory(name: string): Promise<StoredHistory> {
    const head = await this.db.get(headKey(name))
    const versions: StoredHistory['versions'] = []
    for await (const [key, value] of this.db.iterator({ gte: versionPrefix(name), lt: versionPrefixEnd(name) })) {
      versions.push({ id: Number.parseInt(key.slice(versionPrefix(name).length), 16), value })
    }
    return { head, versions }
  }

  async writeHistory(name: string, write: HistoryWrite): Promise<void> {
    // One process writes one document's history through one recorder, in turn: a read, then the batch, is enough.
    if (write.expect !== undefined && !sameHead(write.expect, await this.db.get(headKey(name)))) throw new HistoryConflictError(name)
    const batch = this.db.batch()
    for (const id of write.delete) batch.del(versionKey(name, id))
    for (const { id, value } of write.put) batch.put(versionKey(name, id), value)
    batch.put(headKey(name), write.head)
    await batch.write({ sync: this.sync })
  }

  /** Names of the documents that have a history (for `quire history prune`). */
  async *historyNames(): AsyncGenerator<string> {
    for await (const key of this.db.keys({ gte: 'vh:', lt: 'vh;' })) yield key.slice(3)
  }

  async close(): Promise<void> {
    await this.pending?.written
    await this.db.close()
  }

  /** Read every entry as stored at this instant (see {@link SnapshotReader}); writers carry on meanwhile. */
  snapshot(): SnapshotReader {
    // LevelDB takes the iterator's snapshot now, synchronously: this is the backup's instant.
    const iterator = this.db.iterator({ highWaterMarkBytes: SNAPSHOT_READ_BYTES })
    let closing: Promise<void> | undefined
    return {
      read: async (max) => (await iterator.nextv(max)) as StoredEntry[],
      close: () => (closing ??= iterator.close())
    }
  }

  /**
   * Make a new LevelDB folder at `folder` (absent or empty: the caller checks) holding `entries`,
   * written in batches as they come and synced to disk before this resolves.
   */
  static async createFrom(folder: string, entries: AsyncIterable<StoredEntry[]>): Promise<CopyResult> {
    const db = new Level<string, Uint8Array>(folder, { keyEncoding: 'utf8', valueEncoding: 'view', createIfMissing: true, errorIfExists: true })
    try {
      await db.open()
    } catch (error) {
      throw openError(folder, error)
    }
    const result: CopyResult = { entries: 0, bytes: 0 }
    // Each chunk is written when the next arrives, and the last one synced: LevelDB's log is
    // written in order, so that one fsync makes every chunk before it durable too.
    let held: StoredEntry[] | undefined
    const write = (chunk: StoredEntry[], sync: boolean) =>
      db.batch(
        chunk.map(([key, value]) => ({ type: 'put' as const, key, value })),
        { sync }
      )
    try {
      for await (const chunk of entries) {
        if (chunk.length === 0) continue
        if (held) await write(held, false)
        held = chunk
        result.entries += chunk.length
        for (const [key, value] of chunk) result.bytes += Buffer.byteLength(key) + value.length
      }
      if (held) await write(held, true)
    } finally {
      await db.close()
    }
    return result
  }

  /** The document a stored key belongs to, or undefined for a key that is none of the schema's. */
  static documentOfKey(key: string): string | undefined {
    const match = /^(?:s|c|vh):(.+)$/.exec(key) ?? /^(?:l|v):(.+):[0-9a-f]{16}$/.exec(key)
    return match?.[1]
  }
}

/** Every entry `reader` yields, in chunks of about `chunk` entries; closes the reader at the end or on error. */
export async function* readAll(reader: SnapshotReader, chunk = 1000): AsyncGenerator<StoredEntry[]> {
  try {
    for (;;) {
      const entries = await reader.read(chunk)
      if (entries.length === 0) return
      yield entries
    }
  } finally {
    await reader.close()
  }
}

function openError(folder: string, error: unknown): StoreOpenError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  if (cause?.code === 'LEVEL_LOCKED') return new StoreOpenError(`data folder ${folder} is in use by another process (LevelDB lock held)`, error)
  const detail = String(cause?.message ?? (error as Error).message ?? error)
  if (/does not exist/.test(detail)) return new StoreOpenError(`${folder} is not a LevelDB folder (${detail})`, error)
  if (/exists/.test(detail)) return new StoreOpenError(`${folder} already holds a LevelDB database`, error)
  return new StoreOpenError(`cannot open data folder ${folder}: ${detail}`, error)
}
