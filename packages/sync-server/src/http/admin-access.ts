/**
 * The admin API's credential check (`Gate.checkAdmin`): the `--admin-token`, or a token minted by
 * `quire token --admin`, in the Authorization header or the query. Never open.
 */
import type { ApiCall } from './api-router.js'
import { HttpError } from './http-error.js'
import { hasForeignAuthorization, requestToken } from './request-token.js'

/** An admitted operator: the token's user, if it names one. */
export interface AdminCaller {
  user: string | undefined
}

/** Throws {@link HttpError} (401, 403, 429) unless the call carries an admin credential. */
export async function adminAccess(call: ApiCall): Promise<AdminCaller> {
  if (hasForeignAuthorization(call.req.headers)) throw new HttpError(401, 'the Authorization header must be "Bearer <token>"', { 'WWW-Authenticate': 'Bearer' })
  const verdict = await call.ctx.gate.checkAdmin(requestToken(call.req.headers, call.query), call.address)
  if (!verdict.ok) throw new HttpError(verdict.status, verdict.message, verdict.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {})
  return { user: verdict.user }
}
