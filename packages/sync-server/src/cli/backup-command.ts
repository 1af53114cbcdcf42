/**
 * `quire backup` and `quire restore`: argument handling and the copies, each ending in a result
 * line or an error sentence; main.ts prints and exits.
 */
import { parseArgs } from 'node:util'
import { BackupError, backupFolder, decodeBackup, restoreFolder, writeCopy } from '../backup/copy.js'
import { BACKUP_MEDIA_TYPE, BackupStreamError } from '../storage/backup-stream.js'
import { StoreOpenError } from '../storage/leveldb.js'
import { CliError } from './document-target.js'
import { serverCall } from './server-call.js'

/** The `quire backup --help` text. */
export const BACKUP_HELP = `Usage: quire backup --to PATH (--url URL [--token T] | --data DIR)

Copy every document into PATH, a new LevelDB folder (absent or empty), consistently: the copy is
one instant of the data (a LevelDB snapshot), however busy the server is.

  --to PATH      where the backup goes; start a server on it, or restore it with quire restore
  --url URL      a running server (env QUIRE_URL), e.g. http://127.0.0.1:1234; it keeps serving
                 while it sends the copy
  --token T      an admin credential for --url (env QUIRE_TOKEN): --admin-token, or a token
                 from quire token --admin
  --data DIR     a data folder no running server holds, instead of --url
`

/** The `quire restore --help` text. */
export const RESTORE_HELP = `Usage: quire restore PATH --data DIR

Copy the backup at PATH into DIR, a data folder that must be absent or empty. Every document in the
backup is loaded first; a damaged backup is refused and nothing is written. Then start the server
with --data DIR.

  --data DIR     the data folder to fill
`

/** What a command prints: a line on success, or why it failed and the exit status. */
export type CommandResult = { ok: true; output: string } | { ok: false; error: string; code: number }

/** Run `quire backup`. */
export async function backupCommand(args: string[], env: Record<string, string | undefined>): Promise<CommandResult> {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args,
      options: { to: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' }, data: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    return usage(error)
  }
  if (values.help) return { ok: true, output: BACKUP_HELP }
  const to = values.to as string | undefined
  const data = values.data as string | undefined
  const url = (values.url as string | undefined) ?? (data === undefined ? env.QUIRE_URL || undefined : undefined)
  if (!to) return { ok: false, error: '--to PATH is required: where the backup goes', code: 2 }
  if (url !== undefined && data !== undefined) return { ok: false, error: 'give --url (a running server) or --data (a data folder), not both', code: 2 }
  if (url === undefined && data === undefined)
    return { ok: false, error: 'give --url (a running server, or env QUIRE_URL) or --data (a data folder no server holds)', code: 2 }
  if (data !== undefined && values.token !== undefined) return { ok: false, error: '--token is for --url; a data folder needs none', code: 2 }
  const started = performance.now()
  try {
    const token = (values.token as string | undefined) ?? (env.QUIRE_TOKEN || undefined)
    const copied = url !== undefined ? await backupServer(url, token, to) : await backupFolder(data as string, to)
    const seconds = ((performance.now() - started) / 1000).toFixed(2)
    return { ok: true, output: `backed up ${copied.entries} entries (${copied.bytes} bytes) from ${url ?? data} to ${to} in ${seconds} s\n` }
  } catch (error) {
    return failed(error, data)
  }
}

/** Run `quire restore`. */
export async function restoreCommand(args: string[]): Promise<CommandResult> {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] }
  try {
    parsed = parseArgs({ args, options: { data: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true })
  } catch (error) {
    return usage(error)
  }
  if (parsed.values.help) return { ok: true, output: RESTORE_HELP }
  const [from, ...extra] = parsed.positionals
  const data = parsed.values.data as string | undefined
  if (!from) return { ok: false, error: 'the backup folder to restore (PATH) is missing', code: 2 }
  if (extra.length > 0) return { ok: false, error: `one backup at a time; unexpected ${JSON.stringify(extra[0])}`, code: 2 }
  if (!data) return { ok: false, error: '--data DIR is required: the (empty) data folder to restore into', code: 2 }
  try {
    const restored = await restoreFolder(from, data)
    return { ok: true, output: `restored ${restored.documents} documents (${restored.entries} entries, ${restored.bytes} bytes) from ${from} into ${data}\n` }
  } catch (error) {
    return failed(error)
  }
}

// Ask the server for a backup stream and write it into `to`.
async function backupServer(url: string, token: string | undefined, to: string) {
  const response = await serverCall(url, token, 'the server refused the backup: ')('POST', '/api/admin/backup')
  if (!response.headers.get('content-type')?.startsWith(BACKUP_MEDIA_TYPE) || !response.body)
    throw new BackupError(`${url} did not answer with a backup stream`)
  return writeCopy(to, decodeBackup(response.body as AsyncIterable<Uint8Array>), '--to')
}

function failed(error: unknown, data?: string): CommandResult {
  if (error instanceof CliError) return { ok: false, error: error.message, code: error.exitCode }
  if (error instanceof StoreOpenError && data !== undefined && /in use/.test(error.message)) {
    return { ok: false, error: `${error.message}; back up a running server with --url instead`, code: 1 }
  }
  if (error instanceof BackupError || error instanceof BackupStreamError || error instanceof StoreOpenError) return { ok: false, error: error.message, code: 1 }
  throw error
}

function usage(error: unknown): CommandResult {
  return { ok: false, error: (error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), code: 2 }
}
