/**
 * Access links: how a token reaches the app. A server started with `--auth-secret` only lets in
 * holders of a token for the document, and people pass access on as a link,
 * `/d/<name>?token=…`. The page takes the token out of the address (so it does not sit in the
 * address bar, the history or a screenshot) and keeps it in this tab's sessionStorage, keyed by
 * document, so a reload still works. Share copies a link carrying the same token.
 */
import { documentHref } from './document-names.js'

/** The query parameter that carries a token in a share link (the same name the server reads). */
export const TOKEN_PARAM = 'token'

/** The part of `Storage` used here. */
export type TokenStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

/** The sessionStorage key of the token for document `name`. */
export function tokenKey(name: string): string {
  return `quire:token:${name}`
}

function tabStorage(): TokenStorage | undefined {
  try {
    return globalThis.sessionStorage
  } catch {
    return undefined
  }
}

/**
 * The token for document `name`: from the address `url` if it carries one (then remembered in
 * `storage`), else the one remembered earlier. `clean` is the address without the token, to put
 * in the address bar (`undefined` when there was nothing to remove). An empty `?token=` forgets
 * the remembered token.
 */
export function takeToken(name: string, url: URL, storage: TokenStorage | undefined = tabStorage()): { token: string | undefined; clean: string | undefined } {
  const key = tokenKey(name)
  const fromUrl = url.searchParams.get(TOKEN_PARAM)
  if (fromUrl === null) return { token: read(storage, key), clean: undefined }
  const clean = new URL(url)
  clean.searchParams.delete(TOKEN_PARAM)
  try {
    if (fromUrl === '') storage?.removeItem(key)
    else storage?.setItem(key, fromUrl)
  } catch {
    // Storage refused (private mode, quota): the token still works until the tab closes.
  }
  return { token: fromUrl === '' ? undefined : fromUrl, clean: clean.pathname + clean.search + clean.hash }
}

function read(storage: TokenStorage | undefined, key: string): string | undefined {
  try {
    return storage?.getItem(key) || undefined
  } catch {
    return undefined
  }
}

/** The link that opens document `name` on `origin` with the same access, `token` included. */
export function shareUrl(origin: string, name: string, token: string | undefined): string {
  const url = new URL(documentHref(name), origin)
  if (token !== undefined) url.searchParams.set(TOKEN_PARAM, token)
  return url.toString()
}

/**
 * The user name a Quire token carries (its `user` claim), which the server shows to others in
 * place of whatever name this browser picks. Read without verifying: the server does that;
 * this only keeps the name field honest. `undefined` for tokens without one or not JWTs.
 */
export function tokenUser(token: string | undefined): string | undefined {
  const payload = token?.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const json = new TextDecoder().decode(Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)))
    const user = (JSON.parse(json) as { user?: unknown }).user
    return typeof user === 'string' && user.trim() !== '' ? user : undefined
  } catch {
    return undefined
  }
}
