/**
 * Who may read or change a document over the HTTP API: the same check as a WebSocket upgrade
 * (`Gate.check`: name rule, token, failure limiting), with the token taken from the
 * Authorization header or the query; the `--admin-token` also grants every document. A refusal
 * becomes its status and sentence.
 */
import { documentPath } from '@quire/protocol'
import type { ChangeAuthor } from '../documents/server-change.js'
import type { ApiCall } from './api-router.js'
import { HttpError } from './http-error.js'
import { hasForeignAuthorization, requestToken } from './request-token.js'

/** A caller admitted to a document. */
export interface DocumentCaller {
  /** The canonical document name. */
  name: string
  access: 'read' | 'write'
  /** Who the change is recorded as: the token's `user` claim (verified), or nobody. */
  author: ChangeAuthor
}

/**
 * Check the call's credential for the document in `call.params.name`; throws {@link HttpError}
 * (400, 401, 403, 429) when it may not, or when `need` is write and the token only reads.
 */
export async function documentAccess(call: ApiCall, need: 'read' | 'write'): Promise<DocumentCaller> {
  const name = call.params.name
  if (name === undefined) throw new Error('documentAccess on a route without {name+}')
  if (hasForeignAuthorization(call.req.headers)) throw new HttpError(401, 'the Authorization header must be "Bearer <token>"', { 'WWW-Authenticate': 'Bearer' })
  const params = new URLSearchParams(call.query)
  const token = requestToken(call.req.headers, call.query)
  // The operator's fixed credential is no JWT; it grants every document, as an admin token does.
  // (The router has already checked the name.)
  if (call.ctx.gate.isAdminToken(token)) return { name, access: 'write', author: { user: undefined, verified: false } }
  if (token === undefined) params.delete('token')
  else params.set('token', token)
  const verdict = await call.ctx.gate.check(documentPath(name), params, call.address)
  if (!verdict.ok) throw new HttpError(verdict.status, verdict.message, verdict.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {})
  if (need === 'write' && verdict.access !== 'write') throw new HttpError(403, `read-only access: this request would change document "${name}"`)
  const author: ChangeAuthor = verdict.user === undefined ? { user: undefined, verified: false } : { user: verdict.user, verified: true }
  return { name: verdict.name, access: verdict.access, author }
}
