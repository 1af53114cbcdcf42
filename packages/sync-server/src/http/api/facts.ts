/**
 * `GET /api/facts/<name>`: what is stored for a document (AP5): its size in bytes (snapshot and
 * log), when its latest change was stored, and how many clients are connected. Read access.
 * Under its own prefix (like `/api/access/`), so no document name is shadowed by it.
 */
import type { ApiCall, ApiRoute } from '../api-router.js'
import { documentAccess } from '../document-access.js'
import { asHttp } from '../document-errors.js'
import { HttpError } from '../http-error.js'
import { sendJson } from '../respond.js'

/** The routes of this module. */
export const factsRoutes: readonly ApiRoute[] = [{ path: '/api/facts/{name+}', methods: { GET: facts } }]

/** The JSON shape of a document's facts, shared with the admin listing. */
export function factsJson(name: string, facts: { bytes: number; changedAt: number | undefined; clients: number }) {
  return { name, bytes: facts.bytes, changedAt: facts.changedAt === undefined ? null : new Date(facts.changedAt).toISOString(), clients: facts.clients }
}

async function facts(call: ApiCall): Promise<void> {
  const { name } = await documentAccess(call, 'read')
  const found = await asHttp(call.ctx.registry.facts(name))
  if (found.bytes === 0 && found.clients === 0) throw new HttpError(404, `document "${name}" has nothing stored`)
  sendJson(call.res, 200, factsJson(name, found))
}
