/**
 * The `quire` command: argument errors exit 2, start-up failures exit 1 with a sentence that
 * says what happened, and SIGINT/SIGTERM shut down cleanly and exit 0.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createServer, ListenError } from '../server.js'
import { StoreOpenError } from '../storage/leveldb.js'
import { RedisOpenError } from '../storage/redis.js'
import { backupCommand, type CommandResult, restoreCommand } from './backup-command.js'
import { documentCommand, isDocumentCommand } from './document-commands.js'
import { historyCommand } from './history-command.js'
import { migrateCommand } from './migrate-command.js'
import { parseServeArgs, serveHelp } from './parse.js'
import { readSecretFile } from './secret-file.js'
import { tokenCommand } from './token-command.js'

const USAGE = `Usage: quire <command> [flags]

Commands:
  serve     start the sync server and web app (quire serve --help for flags)
  token     print an access token for a server with --auth-secret (quire token --help)
  ls        list stored documents (quire ls --help)
  export    write a document to a file as text, Markdown or a Yjs update
  import    create or replace a document from a file
  rm        delete a document
  backup    copy a running server's data (or a data folder) consistently (quire backup --help)
  restore   copy a backup into an empty data folder (quire restore --help)
  history   prune document history in a data folder (quire history --help)

The document commands and backup work against a running server (--url) or on a data folder no
server holds (--data); "quire <command> --help" says more.
  migrate-to-redis  copy a LevelDB data folder into Redis for cluster mode (quire migrate-to-redis --help)
`

// The monorepo's built web app, found from this file (dist/cli/main.js or src/cli/main.ts).
const bundledWebDir = fileURLToPath(new URL('../../../../apps/web/dist', import.meta.url))

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (command === 'token') {
    const result = await tokenCommand(rest, process.env)
    if (!result.ok) {
      process.stderr.write(`quire token: ${result.error}\nRun "quire token --help" for usage.\n`)
      return 2
    }
    process.stdout.write(result.output)
    return 0
  }
  if (command === 'backup') return report('backup', await backupCommand(rest, process.env))
  if (command === 'restore') return report('restore', await restoreCommand(rest))
  if (command === 'history') {
    const result = await historyCommand(rest, process.env)
    process.stdout.write(result.stdout)
    process.stderr.write(result.stderr)
    return result.code
  }
  if (isDocumentCommand(command)) {
    return documentCommand(command, rest, process.env, {
      stdout: (bytes) => process.stdout.write(bytes),
      stderr: (text) => process.stderr.write(text),
      stdin: () => readFileSync(0)
    })
  }
  if (command === 'migrate-to-redis') {
    const migrated = await migrateCommand(rest, process.env, (line) => process.stdout.write(`${line}\n`))
    if (!migrated.ok) {
      process.stderr.write(`quire migrate-to-redis: ${migrated.error}\n${migrated.usage ? 'Run "quire migrate-to-redis --help" for usage.\n' : ''}`)
      return migrated.usage ? 2 : 1
    }
    if (migrated.help) {
      process.stdout.write(migrated.help)
      return 0
    }
    const { migrated: done, skipped, failed } = migrated.result!
    process.stdout.write(`${done.length} documents migrated, ${skipped.length} skipped (already in Redis), ${failed.length} failed\n`)
    return failed.length > 0 ? 1 : 0
  }
  if (command !== 'serve') {
    process.stderr.write(`quire: ${command ? `unknown command "${command}"` : 'missing command'}\n\n${USAGE}`)
    return 2
  }
  const parsed = parseServeArgs(rest, process.env)
  if (!parsed.ok) {
    process.stderr.write(`quire serve: ${parsed.error}\nRun "quire serve --help" to see the flags.\n`)
    return 2
  }
  if (parsed.help) {
    process.stdout.write(serveHelp())
    return 0
  }
  const options = parsed.options
  if (parsed.secretFile) {
    const read = readSecretFile(parsed.secretFile.path, parsed.secretFile.source)
    if (!read.ok) {
      process.stderr.write(`quire serve: ${read.error}\n`)
      return 2
    }
    options.authSecret = read.secret
  }
  const dataDir = options.dataDir ?? './data'
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    process.stderr.write(`quire serve: --data ${dataDir} exists and is not a folder\n`)
    return 2
  }
  if (options.webDir === undefined && existsSync(bundledWebDir)) options.webDir = bundledWebDir
  const server = createServer(options)
  // A stray rejection (a library's background work, say) is logged and counted; it must not take
  // every connection down with it.
  process.on('unhandledRejection', (reason) => {
    server.metrics.errors.inc({ kind: 'unhandled_rejection' })
    server.log.error({ err: reason }, 'unhandled rejection; the server keeps running')
  })
  let address: { url: string }
  try {
    address = await server.listen()
  } catch (error) {
    if (error instanceof StoreOpenError || error instanceof ListenError || error instanceof RedisOpenError) {
      process.stderr.write(`quire serve: ${error.message}\n`)
      return 1
    }
    throw error
  }
  if (server.settings.authSecret === undefined) {
    // On stderr whatever the log level: an open server should never be a surprise.
    process.stderr.write(`quire serve: warning: running OPEN (no --auth-secret): anyone who can reach ${address.url} can read and write every document\n`)
  }
  if (server.settings.authSecret === undefined && !['127.0.0.1', 'localhost', '::1'].includes(server.settings.host)) {
    server.log.warn(
      { host: server.settings.host },
      'listening beyond loopback with no access control: anyone who can reach this port can read and write every document'
    )
  }
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      server.log.info({ signal }, 'shutting down')
      resolve()
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  await server.close()
  return 0
}

// Print a command's result: its output and 0, or its error and status.
function report(command: string, result: CommandResult): number {
  if (result.ok) {
    process.stdout.write(result.output)
    return 0
  }
  process.stderr.write(`quire ${command}: ${result.error}\n${result.code === 2 ? `Run "quire ${command} --help" for usage.\n` : ''}`)
  return result.code
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`quire: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  }
)
