/**
 * Backup and restore between LevelDB folders and backup streams: what `quire backup` and
 * `quire restore` do, and what the admin backup route sends. Every copy reads one snapshot, so it
 * is consistent however busy the source is; every copy is written into a folder that was absent
 * or empty, and synced before it counts as done.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { loadState } from '../documents/load.js'
import { BackupStreamDecoder, BackupStreamError, encodeEnd, encodeEntries, encodeStart } from '../storage/backup-stream.js'
import { type CopyResult, LevelStore, readAll } from '../storage/leveldb.js'
import type { SnapshotReader, StoredEntry } from '../storage/store.js'

/** A backup or restore that cannot go ahead, with a sentence that says why. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BackupError'
  }
}

/** Throws {@link BackupError} unless `folder` is absent or an empty folder: a copy never mixes with other data. */
export function checkEmptyFolder(folder: string, flag: string): void {
  if (!existsSync(folder)) return
  if (!statSync(folder).isDirectory()) throw new BackupError(`${flag} ${folder} exists and is not a folder`)
  const entries = readdirSync(folder)
  if (entries.length > 0) throw new BackupError(`${flag} ${folder} is not empty (${entries.length} entries); give a new or empty folder`)
}

/**
 * Write `chunks` into the new LevelDB folder `folder` (absent or empty). If anything fails, what
 * was written is removed again (the folder itself too, if this made it), and the error rethrown.
 */
export async function writeCopy(folder: string, chunks: AsyncIterable<StoredEntry[]>, flag: string): Promise<CopyResult> {
  checkEmptyFolder(folder, flag)
  const existed = existsSync(folder)
  if (!existed) mkdirSync(folder, { recursive: true })
  try {
    return await LevelStore.createFrom(folder, chunks)
  } catch (error) {
    if (existed) for (const entry of readdirSync(folder)) rmSync(`${folder}/${entry}`, { recursive: true, force: true })
    else rmSync(folder, { recursive: true, force: true })
    throw error
  }
}

/** Copy the data folder `from`, which no server holds, into the new folder `to`. */
export async function backupFolder(from: string, to: string): Promise<CopyResult> {
  const store = await LevelStore.open(from, { sync: false, createIfMissing: false })
  try {
    return await writeCopy(to, readAll(store.snapshot()), '--to')
  } finally {
    await store.close()
  }
}

/** The entries a backup stream's pieces carry; throws {@link BackupStreamError} if it is garbled or cut short. */
export async function* decodeBackup(pieces: AsyncIterable<Uint8Array>): AsyncGenerator<StoredEntry[]> {
  const decoder = new BackupStreamDecoder()
  const iterator = pieces[Symbol.asyncIterator]()
  for (;;) {
    let next: IteratorResult<Uint8Array>
    try {
      next = await iterator.next()
    } catch (error) {
      // The connection broke: the same as a stream cut short, with the reason.
      throw new BackupStreamError(`the backup was cut short after ${decoder.entries} entries (${error instanceof Error ? error.message : String(error)})`)
    }
    if (next.done) break
    const entries = decoder.push(next.value)
    if (entries.length > 0) yield entries
  }
  decoder.finish()
}

/** The stream bytes of everything `reader` sees, ending with the count; closes the reader. */
export async function* encodeBackup(reader: SnapshotReader): AsyncGenerator<Uint8Array> {
  let count = 0
  try {
    yield encodeStart()
    for await (const entries of readAll(reader)) {
      count += entries.length
      yield encodeEntries(entries)
    }
    yield encodeEnd(count)
  } finally {
    // Also when the caller stops before the first entry.
    await reader.close()
  }
}

/**
 * Restore the backup folder `from` into the data folder `to` (absent or empty). Every document in
 * the backup is loaded first (every stored byte decoded); a backup holding a key outside the
 * storage schema, or a document that does not load, is refused and nothing is written.
 */
export async function restoreFolder(from: string, to: string): Promise<CopyResult & { documents: number }> {
  checkEmptyFolder(to, '--data')
  const store = await LevelStore.open(from, { sync: false, createIfMissing: false })
  try {
    const names = new Set<string>()
    for await (const entries of readAll(store.snapshot())) {
      for (const [key] of entries) {
        const name = LevelStore.documentOfKey(key)
        if (name === undefined) throw new BackupError(`${from} is not a Quire backup: it holds the key ${JSON.stringify(key.slice(0, 80))}`)
        names.add(name)
      }
    }
    const damaged: string[] = []
    for (const name of names) {
      try {
        await loadState(store, name)
      } catch (error) {
        damaged.push(`${name} (${error instanceof Error ? error.message : String(error)})`)
      }
    }
    if (damaged.length > 0)
      throw new BackupError(`the backup ${from} holds ${damaged.length} document(s) that do not load; nothing restored: ${damaged.slice(0, 5).join('; ')}`)
    const copied = await writeCopy(to, readAll(store.snapshot()), '--data')
    return { ...copied, documents: names.size }
  } finally {
    await store.close()
  }
}
