/**
 * A document's history on a Quire server, over its HTTP routes (`/api/docs/<name>/…`): list the
 * versions, open one as text or as a Yjs update, diff two, see who wrote what, name a version,
 * restore one. The token travels in an `Authorization: Bearer` header, never in the address, so
 * it stays out of logs and browser history. Plain `fetch`, so it works in browsers and in Node.
 */
import { documentPath, type HistoryAuthor, type HistoryVersion, type HistoryVersionKind } from '@quire/protocol'

/** Who wrote something, as far as the server can vouch for it: `verified` when the name is a token's `user` claim. */
export type Author = HistoryAuthor

/** Why a version was cut. */
export type VersionKind = HistoryVersionKind

/**
 * One version of a document: its time span (ms since the epoch), authors, characters added and
 * removed since the version before, its name or `null`, and why it was cut.
 */
export type Version = HistoryVersion

/** One stretch of a diff between two texts. */
export interface DiffChange {
  kind: 'equal' | 'insert' | 'delete'
  text: string
}

/** A stretch of a version's text and who wrote it (character offsets, `to` exclusive). */
export interface AuthorSpan {
  from: number
  to: number
  author: Author
  /** When it was written (ms since the epoch). */
  time: number
}

/** What a restore did: the new version, and the one kept from just before (restore it to undo). */
export interface RestoreResult {
  restored: Version
  before: Version
}

/** A refused or failed history request, with the server's reason. */
export class HistoryError extends Error {
  /** The HTTP status, or 0 when the server could not be reached. */
  readonly status: number

  constructor(status: number, message: string) {
    super(message)
    this.name = 'HistoryError'
    this.status = status
  }
}

/** How to reach the history routes. */
export interface HistoryOptions {
  /** An access token; needs read access to read, write access to name and restore. */
  token?: string
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch
}

/** The id that stands for the live document in {@link HistoryClient.diff} and {@link HistoryClient.authorship}. */
export const LIVE = 'live'

/** A document's history; get one with {@link history}. */
export interface HistoryClient {
  /** The versions, newest first; `named` lists only the named ones. */
  versions(options?: { named?: boolean }): Promise<Version[]>
  /** A version's text. */
  text(id: string): Promise<string>
  /** A version's state as a Yjs update (apply it to a fresh `Y.Doc` to read it with Yjs). */
  update(id: string): Promise<Uint8Array>
  /** What changed from version `from` to `to` (a version id or {@link LIVE}); `from` omitted: the version before `to`. */
  diff(to: string, from?: string): Promise<DiffChange[]>
  /** Who wrote each stretch of a version's text (or of the live text). */
  authorship(version: string): Promise<AuthorSpan[]>
  /** Name a version (or, with {@link LIVE}, the text as it is now), or remove its name with `null`. Needs write access. */
  name(id: string, label: string | null): Promise<Version>
  /** Make the live text that version's text, as one change everyone receives. Needs write access. */
  restore(id: string): Promise<RestoreResult>
}

/** The history routes' base address for `document` on the server at `serverUrl` (`http(s):` or `ws(s):`). */
export function historyUrl(serverUrl: string, document: string): string {
  const url = new URL(serverUrl)
  url.protocol = url.protocol === 'wss:' || url.protocol === 'https:' ? 'https:' : 'http:'
  url.search = ''
  url.hash = ''
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/docs${documentPath(document)}`
  return url.toString()
}

/** The history of `document` on the server at `serverUrl`. */
export function history(serverUrl: string, document: string, options: HistoryOptions = {}): HistoryClient {
  const base = historyUrl(serverUrl, document)
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
  const request = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers)
    if (options.token !== undefined) headers.set('authorization', `Bearer ${options.token}`)
    let response: Response
    try {
      response = await fetchImpl(base + path, { ...init, headers, cache: 'no-store' })
    } catch (error) {
      throw new HistoryError(0, `The server could not be reached (${error instanceof Error ? error.message : String(error)}).`)
    }
    if (!response.ok) throw new HistoryError(response.status, await errorMessage(response))
    return response
  }
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => (await request(path, init)).json() as Promise<T>
  const version = (id: string): string => `/versions/${encodeURIComponent(id)}`
  return {
    versions: async ({ named = false } = {}) => (await json<{ versions: Version[] }>(`/versions${named ? '?label=1' : ''}`)).versions,
    text: async (id) => (await request(version(id), { headers: { accept: 'text/plain' } })).text(),
    update: async (id) => new Uint8Array(await (await request(`${version(id)}?format=yjs`, { headers: { accept: 'application/octet-stream' } })).arrayBuffer()),
    diff: async (to, from) => {
      const query = new URLSearchParams({ to })
      if (from !== undefined) query.set('from', from)
      return (await json<{ changes: DiffChange[] }>(`/diff?${query}`)).changes
    },
    authorship: async (id) => (await json<{ spans: AuthorSpan[] }>(`/authorship?${new URLSearchParams({ version: id })}`)).spans,
    name: (id, label) =>
      json<Version>(`${version(id)}/label`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label }) }),
    restore: (id) => json<RestoreResult>(`${version(id)}/restore`, { method: 'POST' })
  }
}

// The server answers errors with `{"error": "…"}`; anything else (a proxy's page) gets a generic line.
async function errorMessage(response: Response): Promise<string> {
  const body: unknown = await response.json().catch(() => null)
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined
  if (typeof error === 'string' && error !== '') return error
  return `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`
}
