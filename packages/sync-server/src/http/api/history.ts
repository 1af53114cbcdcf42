/**
 * Document history over HTTP (HISTORY-API.md at the repository's work root; README "History"):
 *   GET  /api/docs/<name>/versions                    versions, newest first (`?label=1`: named only; `?limit=`)
 *   GET  /api/docs/<name>/versions/<id>               a version's text, or its Yjs state (`?format=yjs`, Accept)
 *   GET  /api/docs/<name>/diff?from=<id>&to=<id|live> what changed between two versions, or up to now
 *   GET  /api/docs/<name>/authorship?version=<id|live> who wrote each stretch of a version's text
 *   PUT  /api/docs/<name>/versions/<id|live>/label    name a version (`live`: cut one of the live text first)
 *   POST /api/docs/<name>/versions/<id>/restore       make the live text that version's, as one change (HS9)
 *   GET/PUT /api/docs/<name>/history                  whether history is kept for the document (HS11)
 * Reads need read access, the rest write access (HS8). Bad input is a 4xx with a JSON error, and
 * nothing stored changes (HS10).
 */
import diff from 'fast-diff'
import * as Y from 'yjs'
import type { SharedDocument } from '../../documents/document.js'
import { restoreText, ServerChange } from '../../documents/server-change.js'
import { textOf } from '../../documents/text-field.js'
import { HistoryReader, versionView } from '../../history/versions.js'
import type { ApiCall, ApiRoute } from '../api-router.js'
import { documentAccess } from '../document-access.js'
import { asHttp } from '../document-errors.js'
import { HttpError } from '../http-error.js'
import { readBody } from '../request-body.js'
import { send, sendJson } from '../respond.js'

/** The routes of this module. */
export const historyRoutes: readonly ApiRoute[] = [
  { path: '/api/docs/{name+}/versions', methods: { GET: list } },
  { path: '/api/docs/{name+}/versions/{id}', methods: { GET: open } },
  { path: '/api/docs/{name+}/versions/{id}/label', methods: { PUT: label } },
  { path: '/api/docs/{name+}/versions/{id}/restore', methods: { POST: restore } },
  { path: '/api/docs/{name+}/diff', methods: { GET: changes } },
  { path: '/api/docs/{name+}/authorship', methods: { GET: authorship } },
  { path: '/api/docs/{name+}/history', methods: { GET: settings, PUT: setSettings } }
]

/** Most versions one listing returns. */
export const MAX_LIST = 10_000
/** Longest label, in characters. */
export const MAX_LABEL = 200
/** Largest label or settings body, in bytes. */
const MAX_JSON_BODY = 4096
/** Most characters (both texts together) one diff compares. */
export const MAX_DIFF_CHARS = 8 * 1024 * 1024

async function list(call: ApiCall): Promise<void> {
  const named = flag(call.query, 'label')
  const limit = count(call.query, 'limit', MAX_LIST) ?? MAX_LIST
  const { name } = await documentAccess(call, 'read')
  const versions = await withHistory(call, name, async (_doc, reader) => reader.versions)
  const shown = versions
    .filter((v) => !named || v.label !== null)
    .reverse()
    .slice(0, limit)
  sendJson(call.res, 200, { versions: shown.map(versionView) })
}

async function open(call: ApiCall): Promise<void> {
  const id = versionId(call.params.id)
  const yjs = wantsYjs(call)
  const { name } = await documentAccess(call, 'read')
  const body = await withHistory(call, name, async (_doc, reader) => {
    const index = found(reader, id, name)
    if (!yjs) return reader.text(index)
    const ydoc = reader.build(index)
    try {
      return Y.encodeStateAsUpdate(ydoc)
    } finally {
      ydoc.destroy()
    }
  })
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream'
  // A version never changes (retention keeps each kept version's state), so it may be cached.
  send(call.res, 200, { 'Content-Type': type, Vary: 'Accept', 'Cache-Control': 'private, max-age=3600' }, body)
}

async function changes(call: ApiCall): Promise<void> {
  const to = versionOrLive(call.query.get('to'), 'to')
  const fromParam = call.query.get('from')
  const from = fromParam === null ? undefined : versionId(fromParam, 'from')
  const { name } = await documentAccess(call, 'read')
  const [before, after] = await withHistory(call, name, async (doc, reader) => {
    const toIndex = to === 'live' ? reader.versions.length : found(reader, to, name)
    const fromIndex = from === undefined ? toIndex - 1 : found(reader, from, name)
    const textAt = async (index: number) => (index < 0 ? '' : index === reader.versions.length ? liveText(doc) : reader.text(index))
    return [await textAt(fromIndex), await textAt(toIndex)]
  })
  if (before.length + after.length > MAX_DIFF_CHARS)
    throw new HttpError(413, `the two texts hold more than ${MAX_DIFF_CHARS} characters together: too large to diff here; open both versions instead`)
  const kinds = { [diff.EQUAL]: 'equal', [diff.INSERT]: 'insert', [diff.DELETE]: 'delete' } as const
  sendJson(call.res, 200, { changes: diff(before, after).map(([op, text]) => ({ kind: kinds[op], text })) })
}

async function authorship(call: ApiCall): Promise<void> {
  const version = versionOrLive(call.query.get('version') ?? 'live', 'version')
  const { name } = await documentAccess(call, 'read')
  const spans = await withHistory(call, name, async (doc, reader) => {
    const ydoc = version === 'live' ? new Y.Doc() : reader.build(found(reader, version, name))
    try {
      if (version !== 'live') return reader.authorship(ydoc)
      Y.applyUpdate(ydoc, (await doc.readState()).update)
      return reader.authorship(ydoc, doc.history.pendingAuthors, doc.history.pendingSince)
    } finally {
      ydoc.destroy()
    }
  })
  sendJson(call.res, 200, { spans })
}

async function label(call: ApiCall): Promise<void> {
  const id = call.params.id === 'live' ? 'live' : versionId(call.params.id)
  const { name } = await documentAccess(call, 'write')
  const body = await jsonBody(call)
  const text = (body as { label?: unknown }).label
  if (text !== null && typeof text !== 'string') throw new HttpError(400, 'body must be {"label": "<name>"} or {"label": null}')
  const labelText = text === null ? null : text.trim()
  if (labelText !== null && (labelText.length === 0 || labelText.length > MAX_LABEL))
    throw new HttpError(400, `a label has 1 to ${MAX_LABEL} characters (null removes it)`)
  const meta = await asHttp(
    call.ctx.registry.withDocument(name, async (doc) => {
      if (!(await doc.history.enabled())) throw new HttpError(409, `history is off for document "${name}"`)
      // A document stored before history gets its first version here, so that it can be named.
      await doc.history.read()
      const renamed = id === 'live' ? await doc.history.cut('edit', labelText) : await doc.history.relabel(id, labelText)
      if (!renamed) throw new HttpError(404, id === 'live' ? `document "${name}" has no live state to name` : `document "${name}" has no version ${id}`)
      return renamed
    })
  )
  sendJson(call.res, 200, versionView(meta))
}

async function restore(call: ApiCall): Promise<void> {
  const id = versionId(call.params.id)
  const { name, author } = await documentAccess(call, 'write')
  const result = await asHttp(
    call.ctx.registry.withDocument(name, async (doc) => {
      if (!(await doc.history.enabled())) throw new HttpError(409, `history is off for document "${name}"`)
      const history = await doc.history.read()
      const reader = new HistoryReader(name, history)
      const text = reader.text(found(reader, id, name))
      return restoreText(doc, text, new ServerChange(author, 'restore'))
    })
  )
  if (!result) throw new HttpError(409, `history is off for document "${name}"`)
  sendJson(call.res, 200, { restored: versionView(result.restored), before: versionView(result.before) })
}

async function settings(call: ApiCall): Promise<void> {
  const { name } = await documentAccess(call, 'read')
  const enabled = await asHttp(call.ctx.registry.withDocument(name, (doc) => doc.history.enabled()))
  sendJson(call.res, 200, { enabled, server: call.ctx.settings.history })
}

async function setSettings(call: ApiCall): Promise<void> {
  const { name } = await documentAccess(call, 'write')
  const body = await jsonBody(call)
  const enabled = (body as { enabled?: unknown }).enabled
  if (typeof enabled !== 'boolean') throw new HttpError(400, 'body must be {"enabled": true} or {"enabled": false}')
  if (call.ctx.settings.history === 'off') throw new HttpError(409, 'history is off for the whole server (--history off)')
  await asHttp(call.ctx.registry.withDocument(name, (doc) => doc.history.setEnabled(enabled)))
  sendJson(call.res, 200, { enabled, server: call.ctx.settings.history })
}

// Read the document's history with the document held in memory (so `live` is its live state).
function withHistory<T>(call: ApiCall, name: string, use: (doc: SharedDocument, reader: HistoryReader) => Promise<T>): Promise<T> {
  return asHttp(call.ctx.registry.withDocument(name, async (doc) => use(doc, new HistoryReader(name, await doc.history.read()))))
}

async function liveText(doc: SharedDocument): Promise<string> {
  const ydoc = new Y.Doc()
  try {
    Y.applyUpdate(ydoc, (await doc.readState()).update)
    return textOf(ydoc)
  } finally {
    ydoc.destroy()
  }
}

function found(reader: HistoryReader, id: number, name: string): number {
  const index = reader.indexOf(id)
  if (index < 0) throw new HttpError(404, `document "${name}" has no version ${id}`)
  return index
}

/** A version id: a decimal number from 1 (ids are never reused). */
function versionId(value: string | undefined, what = 'version id'): number {
  if (value === undefined || !/^[1-9][0-9]{0,14}$/.test(value))
    throw new HttpError(400, `${what} must be a version id (a number from 1), got "${String(value).slice(0, 40)}"`)
  return Number(value)
}

function versionOrLive(value: string | null, what: string): number | 'live' {
  if (value === null) throw new HttpError(400, `${what} is missing: a version id or "live"`)
  return value === 'live' ? 'live' : versionId(value, what)
}

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name)
  if (value === null || value === '0' || value === 'false') return false
  if (value === '' || value === '1' || value === 'true') return true
  throw new HttpError(400, `${name} must be 1 or 0, got "${value.slice(0, 40)}"`)
}

function count(query: URLSearchParams, name: string, max: number): number | undefined {
  const value = query.get(name)
  if (value === null) return undefined
  if (!/^[0-9]{1,9}$/.test(value) || Number(value) < 1 || Number(value) > max)
    throw new HttpError(400, `${name} must be a number from 1 to ${max}, got "${value.slice(0, 40)}"`)
  return Number(value)
}

function wantsYjs(call: ApiCall): boolean {
  const format = call.query.get('format')
  if (format !== null) {
    if (format === 'yjs') return true
    if (format === 'text') return false
    throw new HttpError(400, `format must be text or yjs, got "${format.slice(0, 40)}"`)
  }
  return /application\/octet-stream/i.test(call.req.headers.accept ?? '')
}

async function jsonBody(call: ApiCall): Promise<unknown> {
  const bytes = await readBody(call.req, MAX_JSON_BODY).catch((error: unknown) => {
    if (error instanceof HttpError && error.status === 413)
      throw Object.assign(new HttpError(413, `body is larger than ${MAX_JSON_BODY} bytes`), { closeConnection: true })
    throw error
  })
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object')
    return value
  } catch {
    throw new HttpError(400, 'body must be a JSON object')
  }
}
