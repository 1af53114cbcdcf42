/**
 * `quire token`: print a signed access token. Pure argument handling here; main.ts prints.
 */
import { parseArgs } from 'node:util'
import { checkDocumentName } from '@quire/protocol'
import { parseDuration } from '../auth/duration.js'
import { prefixProblem, signAdminToken, signToken } from '../auth/token.js'
import { MIN_SECRET_LENGTH, readSecretFile } from './secret-file.js'

/** The `quire token --help` text. */
export const TOKEN_HELP = `Usage: quire token --doc NAME --access read|write [--expires 1h] [--user NAME] [--secret S | --secret-file F]
       quire token --admin [--expires 1h] [--user NAME] [--secret S | --secret-file F]

Print an access token for a server started with --auth-secret.

  --doc NAME        a document name, a folder ending in /* (team/*), or * for all
  --access A        read (sync and read only) or write
  --admin           an operator's token instead: the admin API (/api/admin/..., quire ls and rm),
                    and read and write access to every document; not with --doc or --access
  --expires D       lifetime: a number with s, m, h or d (default 1h)
  --user NAME       a display name the server shows for the holder (optional)
  --secret S        the server's secret (default: env AUTH_SECRET)
  --secret-file F   read the secret from file F instead (default: env AUTH_SECRET_FILE)
`

/** Parse `quire token` arguments and sign; resolves to the token or to what was wrong. */
export async function tokenCommand(
  args: string[],
  env: Record<string, string | undefined>
): Promise<{ ok: true; output: string } | { ok: false; error: string }> {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args,
      options: {
        doc: { type: 'string' },
        access: { type: 'string' },
        expires: { type: 'string' },
        user: { type: 'string' },
        secret: { type: 'string' },
        'secret-file': { type: 'string' },
        admin: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    return { ok: false, error: (error as Error).message.replace(/\. To specify a positional argument.*$/s, '') }
  }
  if (values.help) return { ok: true, output: TOKEN_HELP }
  const found = secretFrom(values, env)
  if (!found.ok) return found
  const secret = found.secret
  if (values.admin) return adminToken(secret, values)
  const doc = values.doc as string | undefined
  if (!doc) return { ok: false, error: '--doc is required' }
  const prefix = doc.endsWith('*') ? doc.slice(0, -1) : undefined
  if (prefix === undefined) {
    const check = checkDocumentName(doc)
    if (!check.ok) return { ok: false, error: `--doc: ${check.reason}` }
  } else if (prefix !== '' && !/^[A-Za-z0-9_~.\-/]{1,255}$/.test(prefix)) {
    return { ok: false, error: '--doc prefix may only contain letters, digits, "_", "~", ".", "-" and "/" before the *' }
  } else {
    const trap = prefixProblem(doc)
    if (trap !== undefined) return { ok: false, error: `--doc: ${trap}` }
  }
  const access = values.access
  if (access !== 'read' && access !== 'write') return { ok: false, error: `--access must be read or write${access ? `, got "${access}"` : ''}` }
  const expires = parseDuration((values.expires as string | undefined) ?? '1h')
  if (expires === undefined) return { ok: false, error: `--expires must be a number followed by s, m, h or d (like 90m), got "${values.expires}"` }
  const user = values.user as string | undefined
  if (user !== undefined && (user.length === 0 || user.length > 100)) return { ok: false, error: '--user must be 1 to 100 characters' }
  return { ok: true, output: `${await signToken(secret, { doc, access, expiresInSeconds: expires, user })}\n` }
}

// An operator's token: it covers every document, so naming one would be a contradiction.
async function adminToken(
  secret: string,
  values: Record<string, string | boolean | undefined>
): Promise<{ ok: true; output: string } | { ok: false; error: string }> {
  if (values.doc !== undefined || values.access !== undefined) return { ok: false, error: '--admin covers every document: leave out --doc and --access' }
  const expires = parseDuration((values.expires as string | undefined) ?? '1h')
  if (expires === undefined) return { ok: false, error: `--expires must be a number followed by s, m, h or d (like 90m), got "${values.expires}"` }
  const user = values.user as string | undefined
  if (user !== undefined && (user.length === 0 || user.length > 100)) return { ok: false, error: '--user must be 1 to 100 characters' }
  return { ok: true, output: `${await signAdminToken(secret, { expiresInSeconds: expires, user })}\n` }
}

// Flags win over the environment; within one of them, a secret and a secret file are ambiguous.
function secretFrom(
  values: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>
): { ok: true; secret: string } | { ok: false; error: string } {
  const fromFlags = values.secret !== undefined || values['secret-file'] !== undefined
  const [secret, file, names] = fromFlags
    ? [values.secret as string | undefined, values['secret-file'] as string | undefined, ['--secret', '--secret-file']]
    : [env.AUTH_SECRET || undefined, env.AUTH_SECRET_FILE || undefined, ['AUTH_SECRET', 'AUTH_SECRET_FILE']]
  if (secret !== undefined && file !== undefined) return { ok: false, error: `${names[0]} and ${names[1]} are both given; give the secret one way` }
  if (file !== undefined) return readSecretFile(file, names[1]!)
  if (!secret) return { ok: false, error: '--secret or --secret-file (or env AUTH_SECRET or AUTH_SECRET_FILE) is required' }
  if (secret.length < MIN_SECRET_LENGTH) return { ok: false, error: `${names[0]} must be at least ${MIN_SECRET_LENGTH} characters long` }
  return { ok: true, secret }
}
