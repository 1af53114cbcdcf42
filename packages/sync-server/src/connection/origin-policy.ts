/**
 * Which web pages may reach documents. Browsers do not apply the same-origin policy to
 * WebSockets, so without this any page the user visits could open `ws://127.0.0.1:1234/<name>`
 * and read or write documents. A page may connect when it is served by this server (its Origin
 * names the host the request was sent to) or when its origin is listed (`--allowed-origins`);
 * clients that are not browsers send no Origin and are not affected. The same list decides
 * which origins get CORS headers on `GET /api/access/<doc>`.
 *
 * An open server (no tokens) trusts a page's own host only when it is an IP address or
 * `localhost`: a page on `http://evil.example:1234` whose name the attacker re-points at
 * 127.0.0.1 (DNS rebinding) looks same-origin, and on an open server the socket alone is access.
 */
import { isIP } from 'node:net'

/** An allow-list entry as written, normalised; `*` allows any origin. */
export type AllowedOrigin = string

/** Why an `--allowed-origins` entry is not usable, or its normalised form. */
export function normaliseOrigin(entry: string): { ok: true; origin: AllowedOrigin } | { ok: false; error: string } {
  const value = entry.trim()
  if (value === '*') return { ok: true, origin: '*' }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { ok: false, error: `"${value}" is not an origin like https://app.example.com` }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, error: `"${value}" must start with http:// or https://` }
  if (url.pathname !== '/' || /^[a-z]+:\/\/[^/]*\/./i.test(value) || url.search || url.hash || url.username || url.password) {
    return { ok: false, error: `"${value}" must be scheme://host[:port], without a path, query or user` }
  }
  return { ok: true, origin: url.origin }
}

/** Decides, from the Origin and Host headers, whether a browser page may use documents. */
export class OriginPolicy {
  private readonly any: boolean
  private readonly listed: ReadonlySet<string>

  /**
   * `allowed` holds normalised entries (see {@link normaliseOrigin}); with `onlyLiteralHosts`,
   * a page's own host counts only when it is an IP address or `localhost`.
   */
  constructor(
    allowed: readonly AllowedOrigin[],
    private readonly onlyLiteralHosts: boolean
  ) {
    this.any = allowed.includes('*')
    this.listed = new Set(allowed)
  }

  /**
   * Whether a WebSocket upgrade carrying `origin` to `host` may proceed: no Origin (not a
   * browser), the page's own server, or an allowed origin.
   */
  allowsUpgrade(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true
    return this.isListed(origin) || (sameOrigin(origin, host) && (!this.onlyLiteralHosts || literalHost(host!)))
  }

  /** The value for Access-Control-Allow-Origin when `origin` is listed; undefined otherwise. */
  corsOrigin(origin: string | undefined): string | undefined {
    return origin !== undefined && this.isListed(origin) ? origin : undefined
  }

  private isListed(origin: string): boolean {
    return this.any || this.listed.has(origin.toLowerCase())
  }
}

// The page's host (and port, when not its scheme's default) is the one the request was sent to.
// Browsers send Host without a default port too, so the two compare as strings.
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
  return url.host === host.toLowerCase()
}

// Names a rebinding attacker cannot own: IP addresses and localhost (which browsers resolve locally).
function literalHost(host: string): boolean {
  const name = host
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1')
  return name === 'localhost' || isIP(name) !== 0
}
