/**
 * `GET /api/admin/server` (AP8), admin credential only: the server's version, uptime, load and
 * settings. Every setting whose flag is a secret (the flags table says which) is shown only as
 * whether it is set.
 */
import { readFileSync } from 'node:fs'
import { serveFlags } from '../../cli/flags.js'
import { adminAccess } from '../admin-access.js'
import type { ApiCall, ApiRoute } from '../api-router.js'
import { sendJson } from '../respond.js'

/** The routes of this module. */
export const adminServerRoutes: readonly ApiRoute[] = [{ path: '/api/admin/server', methods: { GET: serverFacts } }]

const SECRET_SETTINGS: ReadonlySet<string> = new Set(serveFlags.filter((flag) => flag.type.kind === 'secret').map((flag) => flag.setting))

/** The settings with every secret replaced by whether it is set. */
export function publicSettings(settings: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, SECRET_SETTINGS.has(key) ? value !== undefined : value]))
}

let version: string | undefined
/** The sync-server package's version (found from this module, built, bundled or as source). */
export function serverVersion(): string {
  if (version !== undefined) return version
  for (let url = new URL('.', import.meta.url); url.pathname !== '/'; url = new URL('..', url)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === '@quire/sync-server') return (version = pkg.version ?? 'unknown')
    } catch {}
  }
  return (version = 'unknown')
}

async function serverFacts(call: ApiCall): Promise<void> {
  await adminAccess(call)
  const { ctx } = call
  sendJson(call.res, 200, {
    version: serverVersion(),
    startedAt: new Date(ctx.startedAt).toISOString(),
    uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
    documentsLoaded: ctx.registry.size,
    auth: ctx.settings.authSecret === undefined ? 'open' : 'token',
    settings: publicSettings(ctx.settings)
  })
}
