/**
 * `/api/docs/<name>`: a document from the outside (AP1–AP4).
 *   GET   its text, Markdown or Yjs state (by `format` or `Accept`), with an ETag; read access
 *   PUT   make its text the body (text/plain or text/markdown): a minimal diff as one change
 *   POST  apply the body (application/octet-stream) as a Yjs update, guarded as a peer's would be
 * Changes are stored before they are answered or relayed, and reach connected editors live.
 */
import { replaceText, ServerChange } from '../../documents/server-change.js'
import { textOfUpdate } from '../../documents/text-field.js'
import type { ApiCall, ApiRoute } from '../api-router.js'
import { documentAccess } from '../document-access.js'
import { asHttp } from '../document-errors.js'
import { HttpError } from '../http-error.js'
import { chooseFormat, MEDIA_TYPES, notModified, stateTag } from '../representation.js'
import { mediaType, readBody } from '../request-body.js'
import { send, sendJson } from '../respond.js'

/** The routes of this module. */
export const documentRoutes: readonly ApiRoute[] = [{ path: '/api/docs/{name+}', methods: { GET: read, PUT: replace, POST: applyUpdate } }]

async function read(call: ApiCall): Promise<void> {
  const format = chooseFormat(call.req, call.query)
  const { name } = await documentAccess(call, 'read')
  const state = await asHttp(call.ctx.registry.withDocument(name, (doc) => doc.readState()))
  if (isEmptyVector(state.vector)) throw new HttpError(404, `document "${name}" has nothing stored`)
  const etag = stateTag(state.vector, format)
  const headers = { ETag: etag, Vary: 'Accept', 'Cache-Control': 'no-cache' }
  if (notModified(call.req, etag)) return send(call.res, 304, headers, '')
  const body = format === 'yjs' ? state.update : textOfUpdate(state.update)
  send(call.res, 200, { ...headers, 'Content-Type': MEDIA_TYPES[format] }, body)
}

async function replace(call: ApiCall): Promise<void> {
  const type = mediaType(call.req)
  if (type !== 'text/plain' && type !== 'text/markdown') {
    throw new HttpError(415, `PUT takes the text as text/plain or text/markdown (UTF-8), got ${type ? `"${type}"` : 'no Content-Type'}; a Yjs update is POSTed`)
  }
  const charset = /;\s*charset="?([^";]+)"?/i.exec(String(call.req.headers['content-type']))?.[1]?.toLowerCase()
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new HttpError(415, `text must be UTF-8, got charset "${charset}"`)
  const { name, author } = await documentAccess(call, 'write')
  const body = await readBody(call.req, call.ctx.settings.maxDocumentBytes)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body)
  } catch {
    throw new HttpError(400, 'body is not valid UTF-8')
  }
  const origin = new ServerChange(author, 'api')
  const result = await asHttp(
    call.ctx.registry.withDocument(name, async (doc) => {
      const existed = doc.facts.bytes > 0
      const outcome = await replaceText(doc, text, origin)
      return { ...outcome, created: !existed && outcome.changed }
    })
  )
  sendJson(
    call.res,
    result.created ? 201 : 200,
    { document: name, changed: result.changed, created: result.created },
    { ETag: stateTag(result.vector, 'text') }
  )
}

async function applyUpdate(call: ApiCall): Promise<void> {
  const type = mediaType(call.req)
  if (type !== 'application/octet-stream') {
    throw new HttpError(415, `POST takes a Yjs update as application/octet-stream, got ${type ? `"${type}"` : 'no Content-Type'}; text is PUT`)
  }
  const { name, author } = await documentAccess(call, 'write')
  const update = await readBody(call.req, call.ctx.settings.maxDocumentBytes)
  if (update.length === 0) throw new HttpError(422, 'body is empty: a Yjs update has at least two bytes')
  const outcome = await asHttp(call.ctx.registry.applyUpdate(name, update, author))
  sendJson(call.res, 200, { document: name, changed: outcome.changed }, { ETag: stateTag(outcome.vector, 'yjs') })
}

// An encoded state vector with no clients: the document holds nothing.
function isEmptyVector(vector: Uint8Array): boolean {
  return vector.length === 1 && vector[0] === 0
}
