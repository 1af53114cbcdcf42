/**
 * Retention (HS6): versions older than `historyDetailMs` are merged into one per hour, versions
 * older than `historyKeepMs` into one per stretch between named versions; named versions are
 * never merged away. A merged version ends exactly where the last one it replaces ended (same id,
 * same text), so every version kept opens as before. Run when a document unloads (at most hourly)
 * and by `quire history prune`.
 */
import * as Y from 'yjs'
import { type HistoryHead, readHeadRecord, readVersionRecord, type VersionRecord, writeHeadRecord } from '../storage/history-records.js'
import type { DocumentStore, HistoryWrite } from '../storage/store.js'
import { mergeAuthors } from './authors.js'
import { noCheckpoint, reviseVersion } from './checkpoints.js'
import { cutVersion, deleteRangesOf, type VersionBase } from './delta.js'
import type { HistorySettings } from './settings.js'

const HOUR = 3_600_000

/** Apply retention to one document's stored history; resolves with the number of versions merged away. */
export async function applyRetention(
  store: DocumentStore,
  name: string,
  settings: Pick<HistorySettings, 'historyDetailMs' | 'historyKeepMs'>,
  now: number,
  /** Cluster mode: the generation the document was read at (CL11). */
  generation?: number
): Promise<number> {
  const stored = await store.readHistory(name)
  if (!stored.head) return 0
  const head = readHeadRecord(stored.head)
  const versions = stored.versions.map((entry) => readVersionRecord(entry.value))
  const plan = retentionPlan(versions, settings, now)
  const write = mergeRuns(versions, stored.versions, plan, head, now)
  // Only over the head it read: a version cut meanwhile (another instance, HS13) is not overwritten.
  await store.writeHistory(name, { ...write, expect: stored.head, generation })
  return write.delete.length
}

/**
 * Which versions merge: runs of consecutive indexes (each run becomes its last version). Named
 * versions stand alone; an unnamed version joins the run before it when both are past the keep
 * limit, or both past the detail limit and in the same hour.
 */
export function retentionPlan(
  versions: readonly Pick<VersionRecord, 'end' | 'label'>[],
  settings: Pick<HistorySettings, 'historyDetailMs' | 'historyKeepMs'>,
  now: number
): number[][] {
  const group = (v: Pick<VersionRecord, 'end' | 'label'>): string | undefined => {
    if (v.label !== null) return undefined
    if (settings.historyKeepMs > 0 && v.end < now - settings.historyKeepMs) return 'old'
    if (settings.historyDetailMs > 0 && v.end < now - settings.historyDetailMs) return `hour:${Math.floor(v.end / HOUR)}`
    return undefined
  }
  const runs: number[][] = []
  let previous: string | undefined
  versions.forEach((version, index) => {
    const key = group(version)
    if (key !== undefined && key === previous) runs[runs.length - 1]!.push(index)
    else runs.push([index])
    previous = key
  })
  return runs.filter((run) => run.length > 1)
}

// Replay every version once; each run is cut again from where the version before it ended, and
// every kept version's checkpoint is kept or placed again (checkpoints.ts), so the head counts the
// bytes of what is kept and where the last checkpoint is.
function mergeRuns(versions: VersionRecord[], stored: ReadonlyArray<{ value: Uint8Array }>, runs: number[][], head: HistoryHead, now: number): HistoryWrite {
  const put: HistoryWrite['put'] = []
  const deleted: number[] = []
  const firstOf = new Map(runs.map((run) => [run[0]!, run]))
  const progress = { bytes: 0, ...noCheckpoint() }
  const chains = new Map<number, number>()
  const ydoc = new Y.Doc()
  try {
    let run: number[] | undefined
    let base: VersionBase | undefined
    versions.forEach((version, index) => {
      if (firstOf.has(index)) {
        run = firstOf.get(index)
        base = { vector: Y.decodeStateVector(Y.encodeStateVector(ydoc)), deleted: deleteRangesOf(ydoc) }
      }
      Y.applyUpdate(ydoc, version.delta)
      if (run && index < run[run.length - 1]!) return
      let record = version
      let bytes: Uint8Array | undefined = stored[index]!.value
      if (run) {
        const parts = run.map((i) => versions[i]!)
        const cut = cutVersion(ydoc, base as VersionBase)
        const first = parts[0]!
        record = {
          id: version.id,
          start: Math.min(...parts.map((p) => p.start)),
          end: Math.max(...parts.map((p) => p.end)),
          kind: first.kind === 'import' ? 'import' : 'edit',
          label: null,
          added: cut.added,
          removed: cut.removed,
          authors: mergeAuthors(parts.map((p) => p.authors)),
          delta: cut.delta
        }
        bytes = undefined
        for (const part of parts.slice(0, -1)) deleted.push(part.id)
        run = undefined
      }
      const value = reviseVersion(progress, chains, record, bytes, ydoc)
      if (value !== bytes) put.push({ id: version.id, value })
    })
  } finally {
    ydoc.destroy()
  }
  return { put, delete: deleted, head: writeHeadRecord({ ...head, prunedAt: now, ...progress }) }
}
