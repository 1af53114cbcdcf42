/**
 * The admin API's documents (AP6, AP7), admin credential only:
 *   GET    /api/admin/docs?prefix=&after=&limit=   stored documents by name, a page at a time,
 *                                                  with size, last change and connected clients
 *   DELETE /api/admin/docs/<name>                   delete one: its clients are closed with 4410
 */

import { adminAccess } from '../admin-access.js'
import type { ApiCall, ApiRoute } from '../api-router.js'
import { asHttp } from '../document-errors.js'
import { HttpError } from '../http-error.js'
import { sendJson } from '../respond.js'
import { factsJson } from './facts.js'

/** The routes of this module. */
export const adminDocumentRoutes: readonly ApiRoute[] = [
  { path: '/api/admin/docs', methods: { GET: list } },
  { path: '/api/admin/docs/{name+}', methods: { DELETE: remove } }
]

/** Page size when `limit` is not given, and the largest allowed. */
export const LIST_LIMITS = { default: 100, max: 1000 } as const

const PREFIX = /^[A-Za-z0-9_~.\-/]{0,256}$/

async function list(call: ApiCall): Promise<void> {
  await adminAccess(call)
  const prefix = call.query.get('prefix') ?? ''
  if (!PREFIX.test(prefix))
    throw new HttpError(400, 'prefix may only contain the characters of document names (letters, digits, "_", "~", ".", "-", "/"), at most 256')
  const after = call.query.get('after') ?? undefined
  if (after !== undefined && !PREFIX.test(after)) throw new HttpError(400, 'after must be a document name (the "next" of the previous page)')
  const raw = call.query.get('limit')
  const limit = raw === null ? LIST_LIMITS.default : Number(raw)
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMITS.max || (raw !== null && !/^\d+$/.test(raw))) {
    throw new HttpError(400, `limit must be a whole number from 1 to ${LIST_LIMITS.max}`)
  }
  const { registry } = call.ctx
  // One more than asked: whether there is a next page.
  const names = await registry.list({ prefix, after, limit: limit + 1 })
  const page = names.slice(0, limit)
  const documents = await Promise.all(page.map(async (name) => factsJson(name, await asHttp(registry.facts(name)))))
  sendJson(call.res, 200, { documents, next: names.length > limit ? page[page.length - 1]! : null })
}

async function remove(call: ApiCall): Promise<void> {
  const admin = await adminAccess(call)
  const name = call.params.name!
  const existed = await asHttp(call.ctx.registry.delete(name))
  call.ctx.log.info({ doc: name, admin: admin.user, existed }, 'document deleted through the admin API')
  if (!existed) throw new HttpError(404, `document "${name}" has nothing stored`)
  sendJson(call.res, 200, { document: name, deleted: true })
}
