/**
 * The forms a document is read in (text, Markdown, Yjs update), chosen by the `format` query
 * parameter or else by `Accept`, and the ETag of a state: a hash of its state vector, which
 * changes exactly when the document gains content or deletions it did not have.
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { HttpError } from './http-error.js'

/** A document's representations. */
export type Format = 'text' | 'md' | 'yjs'

/** The media type of each representation. */
export const MEDIA_TYPES: Record<Format, string> = {
  text: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  yjs: 'application/octet-stream'
}

const BY_MEDIA: Record<string, Format> = { 'text/plain': 'text', 'text/markdown': 'md', 'application/octet-stream': 'yjs' }

/**
 * The representation a read asks for: `?format=text|md|yjs` wins; else the first acceptable
 * type of `Accept` by quality; text when neither says. Throws 400 for an unknown format and 406
 * when `Accept` admits none of them.
 */
export function chooseFormat(req: IncomingMessage, query: URLSearchParams): Format {
  const format = query.get('format')
  if (format !== null) {
    if (format === 'text' || format === 'md' || format === 'yjs') return format
    throw new HttpError(400, `format must be text, md or yjs, got "${format.slice(0, 40)}"`)
  }
  const accept = req.headers.accept
  if (!accept) return 'text'
  const ranges = accept
    .split(',')
    .map((part, order) => {
      const [type = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase())
      const q = params.find((param) => param.startsWith('q='))
      return { type, q: q ? Number(q.slice(2)) : 1, order }
    })
    .filter((range) => range.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order)
  for (const { type } of ranges) {
    if (BY_MEDIA[type]) return BY_MEDIA[type]
    if (type === 'text/*' || type === '*/*') return 'text'
    if (type === 'application/*') return 'yjs'
  }
  throw new HttpError(406, 'Accept admits none of text/plain, text/markdown, application/octet-stream (or use ?format=text|md|yjs)')
}

/** The ETag of a document state with state vector `vector`, in one representation. */
export function stateTag(vector: Uint8Array, format: Format): string {
  return `"${createHash('sha256').update(vector).digest('base64url').slice(0, 27)}.${format}"`
}

/** Whether `If-None-Match` already names `etag` (so the answer is 304). */
export function notModified(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match']
  if (!header) return false
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}
