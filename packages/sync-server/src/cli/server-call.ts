/**
 * HTTP calls from the CLI to a running server: `--url` checked once, the token sent as a Bearer
 * header, and every failure (unreachable, refused) turned into one {@link CliError} sentence that
 * carries the server's own `{"error"}` text.
 */
import { CliError } from './document-target.js'

/** Send `method` to `path` on the server; resolves only with a 2xx response. */
export type ServerCall = (method: string, path: string, body?: Uint8Array, type?: string) => Promise<Response>

/** A {@link ServerCall} to the server at `url` (http:// or https://), sending `token` if given; `refused` prefixes a refusal. */
export function serverCall(url: string, token: string | undefined, refused = ''): ServerCall {
  let base: URL
  try {
    base = new URL(url)
  } catch {
    throw new CliError(`--url must be a URL like http://127.0.0.1:1234, got "${url}"`, 2)
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CliError(`--url must start with http:// or https://, got "${url}"`, 2)
  const root = base.href.replace(/\/+$/, '')
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {}
  return async (method, path, body, type) => {
    let response: Response
    try {
      response = await fetch(`${root}${path}`, { method, headers: { ...headers, ...(type ? { 'Content-Type': type } : {}) }, body })
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      throw new CliError(`cannot reach the server at ${root}: ${cause?.code ?? cause?.message ?? String(error)}`)
    }
    if (response.ok) return response
    let message = `HTTP ${response.status}`
    try {
      const parsed = (await response.json()) as { error?: unknown }
      if (typeof parsed.error === 'string') message = `${parsed.error} (HTTP ${response.status})`
    } catch {}
    throw new CliError(`${refused}${message}`)
  }
}
