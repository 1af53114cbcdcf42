/**
 * The document commands against a running server, through its HTTP API: the admin routes for
 * `ls` and `rm` (an admin token), the document routes for `export` and `import` (any token that
 * grants the document). The server's `{"error"}` sentence becomes the command's message.
 */
import { documentPath } from '@quire/protocol'
import type { DocumentFormat, DocumentTarget, ListedDocument } from './document-target.js'
import { serverCall } from './server-call.js'

const MEDIA: Record<DocumentFormat, string> = { text: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8', yjs: 'application/octet-stream' }

/** A {@link DocumentTarget} on the server at `url` (http:// or https://), sending `token` if given. */
export function serverTarget(url: string, token: string | undefined): DocumentTarget {
  const call = serverCall(url, token)

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
