/**
 * The LevelDB adapter: the only module that touches `level`. Key schema (README "Storage"):
 *   s:<name>                  snapshot record
 *   l:<name>:<seq, 16 hex>    log record
 *   c:<name>                  the seq the latest compaction covered, as 16 hex digits
 * Names never contain ":" (PROTOCOL.md N3), so one document's keys never interleave another's.
 *
 * Compaction deletes log entries, and LevelDB keeps each deletion as a tombstone until its own
 * compaction gets to it; a read that walked the log from its first key would step over every one
 * (~2 ms for a document typed as 100,000 updates). Reads and compactions start after `c:<name>`.
 */
import { Level } from 'level'
import type { DocumentStore, StoredDocument } from './store.js'

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
const toHex = (seq: number) => seq.toString(16).padStart(16, '0')

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

  /** Open (creating if needed) the folder; `sync` makes every write fsync before it resolves. */
  static async open(folder: string, options: { sync: boolean }): Promise<LevelStore> {
    const db = new Level<string, Uint8Array>(folder, { keyEncoding: 'utf8', valueEncoding: 'view' })
    try {
      await db.open()
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause
      const locked = cause?.code === 'LEVEL_LOCKED'
      const message = locked
        ? `data folder ${folder} is in use by another process (LevelDB lock held)`
        : `cannot open data folder ${folder}: ${String((cause as Error | undefined)?.message ?? error)}`
      throw new StoreOpenError(message, error)
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

  /** The names of every document with anything stored, sorted. */
  async names(): Promise<string[]> {
    const names = new Set<string>()
    for await (const key of this.db.keys({ gt: 'l:', lt: 'l;' })) names.add(key.slice(2, key.lastIndexOf(':')))
    for await (const key of this.db.keys({ gt: 's:', lt: 's;' })) names.add(key.slice(2))
    // The empty name is no document's (N2); open() reads it to warm LevelDB up.
    names.delete('')
    return [...names].sort()
  }

  async size(name: string): Promise<number> {
    const { snapshot, log } = await this.read(name)
    return (snapshot?.length ?? 0) + log.reduce((sum, entry) => sum + entry.value.length, 0)
  }

  async close(): Promise<void> {
    await this.pending?.written
    await this.db.close()
  }
}
