/**
 * `quire migrate-to-redis --data DIR --redis URL`: move every document of a LevelDB data folder
 * into Redis for cluster mode. Each document goes in as one snapshot of everything stored for it
 * (snapshot plus log) with its history, read back and compared before it counts. A document Redis already has is
 * left alone (never overwritten), and a damaged one is named and left out: the folder itself is
 * only read, so nothing is lost whatever happens. The server must be stopped (LevelDB's lock).
 */
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { openClusterMode } from '../cluster/cluster-mode.js'
import { loadState } from '../documents/load.js'
import { createMetrics } from '../metrics.js'
import { LevelStore } from '../storage/leveldb.js'
import { writeSnapshotRecord } from '../storage/records.js'
import type { RedisStore } from '../storage/redis.js'

/** The `quire migrate-to-redis --help` text. */
export const MIGRATE_HELP = `Usage: quire migrate-to-redis --data DIR --redis URL [--redis-accept-risk]

Copy every document of a LevelDB data folder (the server stopped) into Redis, for
quire serve --redis. The folder is only read. Documents Redis already has are skipped.

  --data DIR            the data folder (default: env DATA_DIR)
  --redis URL           redis://HOST:PORT (default: env REDIS_URL)
  --redis-accept-risk   copy even into a Redis whose persistence can lose writes
`

/** What a migration did, for the summary line and the exit status. */
export interface MigrateResult {
  migrated: string[]
  skipped: string[]
  failed: Array<{ name: string; error: string }>
}

/** Parse the arguments; then run the migration, writing progress to `out`. */
export async function migrateCommand(
  args: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void
): Promise<{ ok: true; help?: string; result?: MigrateResult } | { ok: false; usage: boolean; error: string }> {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args,
      options: { data: { type: 'string' }, redis: { type: 'string' }, 'redis-accept-risk': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    return { ok: false, usage: true, error: (error as Error).message.replace(/\. To specify a positional argument.*$/s, '') }
  }
  if (values.help) return { ok: true, help: MIGRATE_HELP }
  const data = (values.data as string | undefined) ?? env.DATA_DIR
  const url = (values.redis as string | undefined) ?? env.REDIS_URL
  if (!data) return { ok: false, usage: true, error: '--data is required' }
  if (!url) return { ok: false, usage: true, error: '--redis is required' }
  let source: LevelStore
  try {
    source = await LevelStore.open(data, { sync: false })
  } catch (error) {
    return { ok: false, usage: false, error: (error as Error).message }
  }
  const log = pino({ level: 'silent' })
  let cluster: Awaited<ReturnType<typeof openClusterMode>>
  try {
    cluster = await openClusterMode(url, values['redis-accept-risk'] === true, log, createMetrics())
  } catch (error) {
    await source.close()
    return { ok: false, usage: false, error: (error as Error).message }
  }
  const result: MigrateResult = { migrated: [], skipped: [], failed: [] }
  try {
    for (let after: string | undefined, page: string[]; (page = await source.list({ prefix: '', after, limit: PAGE })).length > 0; after = page.at(-1)) {
      for (const name of page) {
        try {
          if (await migrateDocument(source, cluster.store, name)) {
            result.migrated.push(name)
            out(`migrated ${name}`)
          } else {
            result.skipped.push(name)
            out(`skipped ${name}: Redis has it already`)
          }
        } catch (error) {
          result.failed.push({ name, error: error instanceof Error ? error.message : String(error) })
          out(`FAILED ${name}: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
    }
  } finally {
    await cluster.close()
    await source.close()
  }
  return { ok: true, result }
}

// Names read from the folder at a time.
const PAGE = 1000

// Copy one document and its history; false if Redis has it already. Throws if it does not read back the same.
async function migrateDocument(source: LevelStore, target: RedisStore, name: string): Promise<boolean> {
  const loaded = await loadState(source, name)
  const throughSeq = loaded.nextSeq - 1
  // The snapshot's time is its latest change's, so "last changed" survives the move.
  const snapshot = writeSnapshotRecord({ timestamp: loaded.changedAt ?? Date.now(), throughSeq, state: loaded.state.update })
  // With its history in the same step: a name deleted in Redis before keeps its generation, which
  // a separate history write (naming none) would not match, leaving the document without history.
  const history = await source.readHistory(name)
  if (!(await target.importDocument(name, snapshot, throughSeq, history))) return false
  const [back, historyBack] = await Promise.all([target.read(name), target.readHistory(name)])
  if (!back.snapshot || !sameBytes(back.snapshot, snapshot)) throw new Error('read back differently from Redis')
  const sameHistory =
    (history.head === undefined ? historyBack.head === undefined : historyBack.head !== undefined && sameBytes(historyBack.head, history.head)) &&
    historyBack.versions.length === history.versions.length &&
    historyBack.versions.every((version, i) => version.id === history.versions[i]!.id && sameBytes(version.value, history.versions[i]!.value))
  if (!sameHistory) throw new Error('history read back differently from Redis')
  return true
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0
