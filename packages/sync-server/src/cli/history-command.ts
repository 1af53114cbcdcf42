/**
 * `quire history prune`: apply retention (HS6) to every document's history in a data folder no
 * server holds (LevelDB's lock refuses one a server runs on). Named versions are always kept.
 * The limits are the server's flags, with the same environment variables and defaults.
 */
import { existsSync, statSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { applyRetention } from '../history/retention.js'
import { defaultHistorySettings } from '../history/settings.js'
import { LevelStore, StoreOpenError } from '../storage/leveldb.js'

/** What the command printed, and its exit status. */
export interface HistoryCommandResult {
  code: number
  stdout: string
  stderr: string
}

const HELP = `Usage: quire history prune --data <folder> [flags]

Merge old versions as the retention settings say; named versions are always kept.
Run it on a data folder no server holds (stop the server first).

  --data <folder>             the data folder (env DATA_DIR, default ./data)
  --history-detail-ms <ms>    merge versions older than this into one per hour (env HISTORY_DETAIL_MS, default ${defaultHistorySettings.historyDetailMs}; 0: never)
  --history-keep-ms <ms>      merge away versions older than this (env HISTORY_KEEP_MS, default ${defaultHistorySettings.historyKeepMs}: keep forever)
  --doc <name>                only this document
`

/** Run `quire history <args>`. */
export async function historyCommand(args: string[], env: NodeJS.ProcessEnv, now = Date.now()): Promise<HistoryCommandResult> {
  const [sub, ...rest] = args
  if (sub === '--help' || sub === '-h' || sub === undefined)
    return {
      code: sub === undefined ? 2 : 0,
      stdout: sub === undefined ? '' : HELP,
      stderr: sub === undefined ? `quire history: missing command\n\n${HELP}` : ''
    }
  if (sub !== 'prune') return { code: 2, stdout: '', stderr: `quire history: unknown command "${sub}"\n\n${HELP}` }
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: rest,
      options: {
        data: { type: 'string' },
        'history-detail-ms': { type: 'string' },
        'history-keep-ms': { type: 'string' },
        doc: { type: 'string' },
        help: { type: 'boolean' }
      },
      strict: true
    }).values
  } catch (error) {
    return usage((error as Error).message)
  }
  if (values.help) return { code: 0, stdout: HELP, stderr: '' }
  const limit = (flag: string, envName: string, fallback: number): number | string => {
    const raw = (values[flag] as string | undefined) ?? env[envName]
    if (raw === undefined) return fallback
    return /^[0-9]{1,15}$/.test(raw) ? Number(raw) : `--${flag} must be a whole number of milliseconds (0 or more), got "${raw}"`
  }
  const historyDetailMs = limit('history-detail-ms', 'HISTORY_DETAIL_MS', defaultHistorySettings.historyDetailMs)
  const historyKeepMs = limit('history-keep-ms', 'HISTORY_KEEP_MS', defaultHistorySettings.historyKeepMs)
  if (typeof historyDetailMs === 'string') return usage(historyDetailMs)
  if (typeof historyKeepMs === 'string') return usage(historyKeepMs)
  const dir = (values.data as string | undefined) ?? env.DATA_DIR ?? './data'
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return usage(`--data ${dir} is not a data folder`)
  let store: LevelStore
  try {
    store = await LevelStore.open(dir, { sync: true })
  } catch (error) {
    if (!(error instanceof StoreOpenError)) throw error
    return { code: 1, stdout: '', stderr: `quire history prune: ${error.message}; stop the server first\n` }
  }
  try {
    let documents = 0
    let merged = 0
    const names: string[] = []
    if (values.doc !== undefined) names.push(values.doc as string)
    else for await (const name of store.historyNames()) names.push(name)
    for (const name of names) {
      merged += await applyRetention(store, name, { historyDetailMs, historyKeepMs }, now)
      documents++
    }
    return {
      code: 0,
      stdout: `pruned ${documents} document${documents === 1 ? '' : 's'}: ${merged} version${merged === 1 ? '' : 's'} merged away, named versions kept\n`,
      stderr: ''
    }
  } finally {
    await store.close()
  }
}

function usage(message: string): HistoryCommandResult {
  return { code: 2, stdout: '', stderr: `quire history prune: ${message}\nRun "quire history --help" for usage.\n` }
}
