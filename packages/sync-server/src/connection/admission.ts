/**
 * Which requests may become WebSockets, decided from the request line alone (pure). Later
 * checks (tokens, rate limits) belong here too, so that all refusals happen before the upgrade.
 */
import { EXTENSIONS_PARAM, parseDocumentPath, parseExtensions } from '@quire/protocol'
import type { Admission } from '../transport/ws.js'

/** Admit an upgrade for `requestUrl` (path and query) or say which HTTP status refuses it. */
export function admitUpgrade(requestUrl: string): Admission {
  const url = parseRequestUrl(requestUrl)
  if (!url) return { ok: false, status: 400, message: 'request URL could not be parsed', reason: 'bad_url' }
  const name = parseDocumentPath(url.pathname)
  if (!name.ok) return { ok: false, status: 400, message: name.reason, reason: 'bad_document_name' }
  return { ok: true, name: name.name, extensions: parseExtensions(url.searchParams.get(EXTENSIONS_PARAM)) }
}

/** Parse a request target into a URL; undefined when it is not a path. */
export function parseRequestUrl(requestUrl: string): URL | undefined {
  if (!requestUrl.startsWith('/')) return undefined
  try {
    return new URL(requestUrl, 'http://localhost')
  } catch {
    return undefined
  }
}
