/**
 * `quire token`: print a signed access token. Pure argument handling here; main.ts prints.
 */
import { parseArgs } from 'node:util'
import { checkDocumentName } from '@quire/protocol'
import { parseDuration } from '../auth/duration.js'
import { signToken } from '../auth/token.js'

/** The `quire token --help` text. */
export const TOKEN_HELP = `Usage: quire token --doc NAME --access read|write [--expires 1h] [--user NAME] [--secret S]

Print an access token for a server started with --auth-secret.

  --doc NAME        a document name, or a prefix ending in * (team/* for a folder, * for all)
  --access A        read (sync and read only) or write
  --expires D       lifetime: a number with s, m, h or d (default 1h)
  --user NAME       a display name the server shows for the holder (optional)
  --secret S        the server's secret (default: env AUTH_SECRET)
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
        help: { type: 'boolean', short: 'h' }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    return { ok: false, error: (error as Error).message.replace(/\. To specify a positional argument.*$/s, '') }
  }
  if (values.help) return { ok: true, output: TOKEN_HELP }
  const secret = (values.secret as string | undefined) ?? env.AUTH_SECRET
  if (!secret) return { ok: false, error: '--secret (or env AUTH_SECRET) is required' }
  if (secret.length < 16) return { ok: false, error: '--secret must be at least 16 characters long' }
  const doc = values.doc as string | undefined
  if (!doc) return { ok: false, error: '--doc is required' }
  const prefix = doc.endsWith('*') ? doc.slice(0, -1) : undefined
  if (prefix === undefined) {
    const check = checkDocumentName(doc)
    if (!check.ok) return { ok: false, error: `--doc: ${check.reason}` }
  } else if (prefix !== '' && !/^[A-Za-z0-9_~.\-/]{1,255}$/.test(prefix)) {
    return { ok: false, error: '--doc prefix may only contain letters, digits, "_", "~", ".", "-" and "/" before the *' }
  }
  const access = values.access
  if (access !== 'read' && access !== 'write') return { ok: false, error: `--access must be read or write${access ? `, got "${access}"` : ''}` }
  const expires = parseDuration((values.expires as string | undefined) ?? '1h')
  if (expires === undefined) return { ok: false, error: `--expires must be a number followed by s, m, h or d (like 90m), got "${values.expires}"` }
  const user = values.user as string | undefined
  if (user !== undefined && (user.length === 0 || user.length > 100)) return { ok: false, error: '--user must be 1 to 100 characters' }
  return { ok: true, output: `${await signToken(secret, { doc, access, expiresInSeconds: expires, user })}\n` }
}
