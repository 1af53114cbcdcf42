/**
 * The document commands against a running server, through its HTTP API: the admin routes for
 * `ls` and `rm` (an admin token), the document routes for `export` and `import` (any token that
 * grants the document). The server's `{"error"}` sentence becomes the command's message.
 */
import { documentPath } from '@quire/protocol'
import { CliError, type DocumentFormat, type DocumentTarget, type ListedDocument } from './document-target.js'

const MEDIA: Record<DocumentFormat, string> = { text: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8', yjs: 'application/octet-stream' }

/** A {@link DocumentTarget} on the server at `url` (http:// or https://), sending `token` if given. */
export function serverTarget(url: string, token: string | undefined): DocumentTarget {
  let base: URL
  try {
    base = new URL(url)
  } catch {
    throw new CliError(`--url must be a URL like http://127.0.0.1:1234, got "${url}"`, 2)
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CliError(`--url must start with http:// or https://, got "${url}"`, 2)
  const root = base.href.replace(/\/+$/, '')
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {}

  async function call(method: string, path: string, body?: Uint8Array, type?: string): Promise<Response> {
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
    throw new CliError(message)
  }

  return {
    async *list(prefix) {
      let after: string | undefined
      for (;;) {
        const query = new URLSearchParams({ prefix, limit: '1000' })
        if (after !== undefined) query.set('after', after)
        const page = (await (await call('GET', `/api/admin/docs?${query}`)).json()) as { documents: ListedDocument[]; next: string | null }
        yield* page.documents
        if (page.next === null) return
        after = page.next
      }
    },
    async read(name, format) {
      return new Uint8Array(await (await call('GET', `/api/docs${documentPath(name)}?format=${format}`)).arrayBuffer())
    },
    async write(name, body, format) {
      const response = await call(format === 'yjs' ? 'POST' : 'PUT', `/api/docs${documentPath(name)}`, body, MEDIA[format])
      return { changed: ((await response.json()) as { changed: boolean }).changed }
    },
    async remove(name) {
      await call('DELETE', `/api/admin/docs${documentPath(name)}`)
    },
    async close() {}
  }
}
