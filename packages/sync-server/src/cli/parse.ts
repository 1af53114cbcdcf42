/**
 * Turn `quire serve` arguments and environment into settings, or into an error that names the
 * flag (or variable) and what was wrong. Pure: no I/O, no exits.
 */
import { parseArgs } from 'node:util'
import { normaliseProxy } from '../connection/client-address.js'
import { normaliseOrigin } from '../connection/origin-policy.js'
import type { ServerOptions } from '../server.js'
import { checkWebhookUrl } from '../webhooks/receiver-url.js'
import { type FlagSpec, serveFlags } from './flags.js'

/** Where the CLI is to read the auth secret from, and the flag or variable that named it. */
export interface SecretFile {
  path: string
  source: string
}

/** The result of parsing: options for createServer, a request for help, or what was wrong. */
export type ParsedServe = { ok: true; help: boolean; options: ServerOptions; secretFile?: SecretFile } | { ok: false; error: string }

/** Parse `quire serve` arguments; flags win over environment variables. */
export function parseServeArgs(args: string[], env: Record<string, string | undefined>): ParsedServe {
  let values: Record<string, string | boolean | string[] | undefined>
  try {
    const options = Object.fromEntries(
      serveFlags.map((spec) => [
        spec.flag,
        { type: spec.type.kind === 'boolean' ? ('boolean' as const) : ('string' as const), multiple: spec.type.kind === 'urls' }
      ])
    )
    values = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values
  } catch (error) {
    return { ok: false, error: (error as Error).message.replace(/\. To specify a positional argument.*$/s, '') }
  }
  if (values.help) return { ok: true, help: true, options: {} }
  const options: Record<string, unknown> = {}
  const sources: Record<string, string> = {}
  for (const spec of serveFlags) {
    const given = values[spec.flag]
    // A repeatable flag's values are one list, as if given comma-separated.
    const fromFlag = Array.isArray(given) ? given.join(',') : given
    const raw = fromFlag ?? env[spec.env]
    // An empty variable means unset, except for a secret: `AUTH_SECRET=` is a mistake, not a wish to run open.
    if (raw === undefined || (raw === '' && spec.type.kind !== 'secret')) continue
    const source = fromFlag !== undefined ? `--${spec.flag}` : spec.env
    const value = convert(spec, raw, source)
    if (!value.ok) return value
    options[spec.setting] = value.value
    sources[spec.setting] = source
  }
  if ((options.webhookUrls as string[] | undefined)?.length && options.webhookSecret === undefined) {
    return { ok: false, error: `${sources.webhookUrls} needs --webhook-secret (or WEBHOOK_SECRET, at least 16 characters) to sign its events` }
  }
  return chooseSecret(options, sources)
}

// The secret comes from --auth-secret or --auth-secret-file: both on the command line (or both in
// the environment) is ambiguous and refused; a flag wins over the other one's variable.
function chooseSecret(options: Record<string, unknown>, sources: Record<string, string>): ParsedServe {
  const { authSecretFile, ...rest } = options
  if (authSecretFile === undefined) return { ok: true, help: false, options: rest as ServerOptions }
  const fileSource = sources.authSecretFile!
  const valueSource = sources.authSecret
  if (valueSource !== undefined) {
    const fileFromFlag = fileSource.startsWith('--')
    if (fileFromFlag === valueSource.startsWith('--')) return { ok: false, error: `${valueSource} and ${fileSource} are both given; give the secret one way` }
    if (!fileFromFlag) return { ok: true, help: false, options: rest as ServerOptions }
    delete rest.authSecret
  }
  return { ok: true, help: false, options: rest as ServerOptions, secretFile: { path: authSecretFile as string, source: fileSource } }
}

function convert(spec: FlagSpec, raw: string | boolean, source: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const type = spec.type
  if (typeof raw === 'boolean') return { ok: true, value: raw }
  const fail = (expected: string) => ({ ok: false as const, error: `${source} must be ${expected}, got "${raw}"` })
  switch (type.kind) {
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return { ok: true, value: true }
      if (/^(0|false|no|off)$/i.test(raw)) return { ok: true, value: false }
      return fail('true or false')
    case 'port': {
      const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN
      return port >= 0 && port <= 65535 ? { ok: true, value: port } : fail('an integer from 0 to 65535')
    }
    case 'int': {
      const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
      return n >= type.min && n <= type.max ? { ok: true, value: n } : fail(`an integer from ${type.min} to ${type.max}`)
    }
    case 'choice':
      return type.choices.includes(raw) ? { ok: true, value: raw } : fail(`one of ${type.choices.join(', ')}`)
    case 'string':
      return raw.trim() === '' ? fail('a non-empty value') : { ok: true, value: raw }
    case 'origins':
      return list(raw, source, normaliseOrigin, 'origin')
    case 'proxies':
      return list(raw, source, normaliseProxy, 'proxy')
    case 'urls':
      return list(raw, source, checkWebhookUrl, 'url')
    case 'secret':
      // Never echo a secret back.
      if (raw === '') return { ok: false, error: `${source} is set but empty; give at least 16 characters, or leave it out entirely` }
      return raw.length < 16 ? { ok: false, error: `${source} must be at least 16 characters long` } : { ok: true, value: raw }
  }
}

// A comma-separated list, each entry checked and normalised by `check`.
function list<K extends string>(
  raw: string,
  source: string,
  check: (entry: string) => ({ ok: true } & Record<K, string>) | { ok: false; error: string },
  key: K
): { ok: true; value: string[] } | { ok: false; error: string } {
  const value: string[] = []
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue
    const checked = check(entry)
    if (!checked.ok) return { ok: false, error: `${source}: ${checked.error}` }
    value.push(checked[key])
  }
  return { ok: true, value }
}

/** The `quire serve --help` text. */
export function serveHelp(): string {
  const rows = serveFlags.map((spec) => {
    const left = `  --${spec.flag}${spec.type.kind === 'boolean' ? '' : ' <value>'}`
    return `${left.padEnd(32)}${spec.help}\n${''.padEnd(32)}env ${spec.env}, default ${spec.shown}`
  })
  return [
    'Usage: quire serve [flags]',
    '',
    'Start the Quire sync server and web app on one port.',
    '',
    'Flags:',
    ...rows,
    '  -h, --help                    show this help',
    ''
  ].join('\n')
}
