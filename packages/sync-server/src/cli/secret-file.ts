/**
 * Secrets read from a file (`--auth-secret-file`, `quire token --secret-file`), so they stay out
 * of `ps` and shell history. One trailing newline (what editors and `echo` add) is not part of it.
 */
import { readFileSync } from 'node:fs'

/** The shortest secret accepted, from a flag or a file. */
export const MIN_SECRET_LENGTH = 16

/** Read the secret in `path`; `source` (the flag or variable that named it) goes into every error. */
export function readSecretFile(path: string, source: string): { ok: true; secret: string } | { ok: false; error: string } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: string }).code
    return { ok: false, error: `${source} ${path}: cannot read the file (${code ?? String(error)})` }
  }
  const secret = text.replace(/\r?\n$/, '')
  if (secret === '') return { ok: false, error: `${source} ${path}: the file is empty` }
  if (secret.length < MIN_SECRET_LENGTH) return { ok: false, error: `${source} ${path}: the secret must be at least ${MIN_SECRET_LENGTH} characters long` }
  return { ok: true, secret }
}
