/**
 * `quire ls`, `quire export`, `quire import`, `quire rm`: documents from the command line, against
 * a running server (`--url`, token from `--token` or QUIRE_TOKEN) or directly on a data folder no
 * server holds (`--data`). Argument errors exit 2, failures 1, each with one sentence naming the
 * problem; the output of `ls` and `export` is the only thing on stdout.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { parseArgs } from 'node:util'
import { checkDocumentName } from '@quire/protocol'
import { DocumentDamagedError } from '../documents/load.js'
import { ChangeRefusedError, DocumentUnavailableError } from '../documents/server-change.js'
import { CliError, type DocumentFormat, type DocumentTarget } from './document-target.js'
import { folderTarget } from './folder-target.js'
import { serverTarget } from './server-target.js'

const WHERE = `Where (one of):
  --url URL         a running server (env QUIRE_URL), e.g. http://127.0.0.1:1234
  --token T         the token to send (env QUIRE_TOKEN)
  --data DIR        a data folder no server holds (a server's folder is locked: use --url)`

/** The help of each document command. */
export const DOCUMENT_HELP: Record<DocumentCommand, string> = {
  ls: `Usage: quire ls [--prefix P] (--url URL [--token T] | --data DIR)

List stored documents, one per line: name, bytes stored, last change (ISO time), connected clients,
separated by tabs. Against a server this needs an admin token (quire token --admin, or --admin-token).

  --prefix P        only names starting with P

${WHERE}
`,
  export: `Usage: quire export NAME [--format text|md|yjs] [-o FILE] (--url URL [--token T] | --data DIR)

Write a document to FILE (default: stdout): its text (text, md) or its whole Yjs state as one
update (yjs, which quire import and Y.applyUpdate take back). A read token is enough.

  --format F        text (default), md or yjs
  -o, --output F    write to file F instead of stdout

${WHERE}
`,
  import: `Usage: quire import NAME FILE [--format text|md|yjs] (--url URL [--token T] | --data DIR)

Create or replace a document from FILE ("-" for stdin). Text (text, md; UTF-8) replaces the
document's text as one minimal change, so editors connected to the server see it live and keep
their own edits; a Yjs update (yjs) is merged in. Needs a write token. The format defaults to yjs
for files ending in .yjs, text otherwise.

  --format F        text, md or yjs

${WHERE}
`,
  rm: `Usage: quire rm NAME (--url URL [--token T] | --data DIR)

Delete a document and everything stored for it. Connected clients are closed with 4410; the name
can be used again. Against a server this needs an admin token.

${WHERE}
`
}

/** The document commands. */
export type DocumentCommand = 'ls' | 'export' | 'import' | 'rm'

/** Whether `command` is one of the document commands. */
export function isDocumentCommand(command: string | undefined): command is DocumentCommand {
  return command === 'ls' || command === 'export' || command === 'import' || command === 'rm'
}

/** Where the command writes: stdout, stderr (tests pass their own). */
export interface CommandIo {
  stdout(bytes: Uint8Array | string): void
  stderr(text: string): void
  stdin(): Uint8Array
}

/** Run a document command; resolves to the exit code. */
export async function documentCommand(command: DocumentCommand, args: string[], env: Record<string, string | undefined>, io: CommandIo): Promise<number> {
  try {
    await run(command, args, env, io)
    return 0
  } catch (error) {
    const failure = asCliError(error)
    io.stderr(`quire ${command}: ${failure.message}\n${failure.exitCode === 2 ? `Run "quire ${command} --help" for usage.\n` : ''}`)
    return failure.exitCode
  }
}

async function run(command: DocumentCommand, args: string[], env: Record<string, string | undefined>, io: CommandIo): Promise<void> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(args)
  } catch (error) {
    throw new CliError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), 2)
  }
  const { values, positionals } = parsed
  if (values.help) return io.stdout(DOCUMENT_HELP[command])
  const wanted = command === 'ls' ? 0 : command === 'import' ? 2 : 1
  if (positionals.length !== wanted) {
    const what = command === 'ls' ? 'no arguments' : command === 'import' ? 'NAME and FILE' : 'NAME'
    throw new CliError(`expects ${what}, got ${positionals.length === 0 ? 'none' : positionals.map((p) => `"${p}"`).join(' ')}`, 2)
  }
  const name = command === 'ls' ? undefined : documentName(positionals[0]!)
  const format = formatOf(values.format, command === 'import' ? positionals[1] : undefined)
  if (values.format !== undefined && command !== 'export' && command !== 'import') throw new CliError('--format is for export and import', 2)
  if (values.output !== undefined && command !== 'export') throw new CliError('-o/--output is for export', 2)
  if (values.prefix !== undefined && command !== 'ls') throw new CliError('--prefix is for ls', 2)
  // Read the input before touching the target: a missing file changes nothing anywhere.
  const body = command === 'import' ? readInput(positionals[1]!, format, io) : undefined
  const target = await open(values, env, command === 'import')
  try {
    switch (command) {
      case 'ls':
        for await (const doc of target.list(values.prefix ?? '')) io.stdout(`${doc.name}\t${doc.bytes}\t${doc.changedAt ?? '-'}\t${doc.clients}\n`)
        return
      case 'export': {
        const bytes = await target.read(name!, format)
        if (values.output === undefined) return io.stdout(bytes)
        try {
          writeFileSync(values.output, bytes)
        } catch (error) {
          throw new CliError(`cannot write ${values.output}: ${(error as { code?: string }).code ?? String(error)}`)
        }
        return
      }
      case 'import': {
        const { changed } = await target.write(name!, body!, format)
        io.stderr(`${changed ? 'imported' : 'unchanged (the document already holds it)'}: ${name}\n`)
        return
      }
      case 'rm':
        await target.remove(name!)
        io.stderr(`deleted: ${name}\n`)
        return
    }
  } finally {
    await target.close()
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      data: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      prefix: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true,
    allowPositionals: true
  })
}

function documentName(raw: string): string {
  const checked = checkDocumentName(raw)
  if (!checked.ok) throw new CliError(`NAME "${raw.slice(0, 80)}": ${checked.reason}`, 2)
  return checked.name
}

function formatOf(given: string | undefined, file: string | undefined): DocumentFormat {
  if (given === undefined) return file?.endsWith('.yjs') ? 'yjs' : 'text'
  if (given === 'text' || given === 'md' || given === 'yjs') return given
  throw new CliError(`--format must be text, md or yjs, got "${given}"`, 2)
}

function readInput(file: string, format: DocumentFormat, io: CommandIo): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = file === '-' ? io.stdin() : readFileSync(file)
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as { code?: string }).code ?? String(error)}`)
  }
  if (format !== 'yjs') {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      throw new CliError(`${file} is not UTF-8 text (for a Yjs update, use --format yjs)`)
    }
  }
  return bytes
}

async function open(values: ReturnType<typeof parse>['values'], env: Record<string, string | undefined>, create: boolean): Promise<DocumentTarget> {
  const url = values.url ?? (values.data === undefined ? env.QUIRE_URL || undefined : undefined)
  if (url !== undefined && values.data !== undefined) throw new CliError('give --url (a running server) or --data (a data folder), not both', 2)
  if (values.data !== undefined) {
    if (values.token !== undefined) throw new CliError('--token is for --url; a data folder needs none', 2)
    return folderTarget(values.data, { create, author: { user: localUser(), verified: false } })
  }
  if (url === undefined) throw new CliError('give --url (a running server, or env QUIRE_URL) or --data (a data folder no server holds)', 2)
  return serverTarget(url, values.token ?? (env.QUIRE_TOKEN || undefined))
}

function localUser(): string | undefined {
  try {
    return userInfo().username
  } catch {
    return undefined
  }
}

function asCliError(error: unknown): CliError {
  if (error instanceof CliError) return error
  if (error instanceof ChangeRefusedError || error instanceof DocumentUnavailableError || error instanceof DocumentDamagedError)
    return new CliError(error.message)
  return new CliError(`unexpected error: ${error instanceof Error ? error.message : String(error)}`)
}
