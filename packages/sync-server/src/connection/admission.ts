/**
 * Who may connect, decided before the WebSocket upgrade so that every refusal is an HTTP
 * status with a sentence: bad names (400), missing or invalid tokens (401), pages from origins
 * that are not allowed and tokens for another document (403), addresses that failed too often
 * and addresses or tokens holding too many connections (429), and full servers or documents (503).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { EXTENSIONS_PARAM, type ExtensionName, parseDocumentPath, parseExtensions } from '@quire/protocol'
import { FailureLimiter } from '../auth/failure-limiter.js'
import { grantCovers, TokenError, type TokenProblem, verifyToken } from '../auth/token.js'
import { ClientAddresses } from './client-address.js'
import { ConnectionCounts, type ConnectionLimits, type Place } from './connection-counts.js'
import { OriginPolicy } from './origin-policy.js'

/** A refusal: the HTTP status, a sentence for the client, and the metric's reason label. */
export interface Refusal {
  ok: false
  status: number
  message: string
  reason: string
}

/** The verdict on a request to reach a document (GET /api/access answers from it). */
export type Verdict =
  | {
      ok: true
      name: string
      extensions: ReadonlySet<ExtensionName>
      access: 'read' | 'write'
      user: string | undefined
      /** Seconds since the epoch when the token expires; undefined in open mode. */
      expiresAt: number | undefined
      /** Fingerprint of the token; undefined in open mode. */
      token: string | undefined
    }
  | Refusal

/** The verdict on a WebSocket upgrade: when admitted, it holds a connection place until released. */
export type Admission = (Extract<Verdict, { ok: true }> & { place: Place }) | Refusal

/** Gate settings (see ServerSettings). */
export interface GateSettings extends ConnectionLimits {
  authSecret: string | undefined
  /** A fixed operator credential for the admin API (`--admin-token`); undefined: admin tokens only. */
  adminToken: string | undefined
  maxAuthFailures: number
  authBlockMs: number
  allowedOrigins: readonly string[]
  trustedProxies: readonly string[]
}

/** What admission reads from an upgrade request. */
export interface UpgradeRequest {
  /** Path and query, as sent. */
  url: string
  /** The socket's remote address. */
  peer: string | undefined
  headers: IncomingHttpHeaders
}

const refuse = (status: number, message: string, reason: string): Refusal => ({ ok: false, status, message, reason })

// Tokens whose signature did not verify could be guesses; the others were signed by this server
// (or are missing). A missing token proves nothing either way and costs nothing to refuse.
const GUESSES: ReadonlySet<TokenProblem> = new Set(['malformed', 'bad-signature'])
// Problems a token keeps for good (a claim such as "nbf" may stop failing, so those are not kept).
const LASTING: ReadonlySet<TokenProblem> = new Set(['malformed', 'bad-signature', 'expired'])

/** Admission control, with the connection counts it needs. */
export class Gate {
  private readonly counts: ConnectionCounts
  private readonly failures: FailureLimiter<Refusal>
  private readonly addresses: ClientAddresses
  /** Which browser origins may reach documents (also the CORS policy of GET /api/access). */
  readonly origins: OriginPolicy

  constructor(private readonly settings: GateSettings) {
    this.counts = new ConnectionCounts(settings)
    this.failures = new FailureLimiter({ maxFailures: settings.maxAuthFailures, windowMs: 60_000, blockMs: settings.authBlockMs, maxTracked: 10_000 })
    this.addresses = new ClientAddresses(settings.trustedProxies)
    this.origins = new OriginPolicy(settings.allowedOrigins, settings.authSecret === undefined)
  }

  /** The address a request is counted under: its socket peer, or the client a trusted proxy names. */
  clientAddress(peer: string | undefined, headers: IncomingHttpHeaders): string {
    return this.addresses.resolve(peer, headers['x-forwarded-for'])
  }

  /** Whether a request from `peer` carrying `X-Forwarded-For` comes through a proxy that is not trusted. */
  forwardedByStranger(peer: string | undefined, headers: IncomingHttpHeaders): boolean {
    return headers['x-forwarded-for'] !== undefined && !this.addresses.trusts(peer)
  }

  /** Whether `request` may open a WebSocket; if so, the admission holds its connection place. */
  async admitUpgrade(request: UpgradeRequest): Promise<Admission> {
    const target = parseRequestTarget(request.url)
    if (!target) return refuse(400, 'request target must be a path', 'bad_url')
    const origin = request.headers.origin
    if (!this.origins.allowsUpgrade(origin, request.headers.host)) {
      return refuse(403, `pages from ${origin} may not connect to this server (see --allowed-origins)`, 'origin_not_allowed')
    }
    const address = this.clientAddress(request.peer, request.headers)
    const verdict = await this.check(target.path, target.params, address)
    if (!verdict.ok) return verdict
    // Synchronous from the check to the count: requests decided at the same moment cannot overshoot.
    const place = this.counts.take({ document: verdict.name, address, token: verdict.token, access: verdict.access })
    return place.ok ? { ...verdict, place: place.place } : place
  }

  /** The name and token checks alone (for GET /api/access); `path` is `/<document>`. */
  async check(path: string, params: URLSearchParams, address: string): Promise<Verdict> {
    const name = parseDocumentPath(path)
    if (!name.ok) return refuse(400, name.reason, 'bad_document_name')
    const extensions = parseExtensions(params.get(EXTENSIONS_PARAM))
    const secret = this.settings.authSecret
    if (secret === undefined) return { ok: true, name: name.name, extensions, access: 'write', user: undefined, expiresAt: undefined, token: undefined }
    const blocked = this.failures.blockedFor(address)
    if (blocked > 0) return refuse(429, `too many failed authentications; try again in ${Math.ceil(blocked / 1000)} s`, 'auth_blocked')
    const token = params.get('token')
    const fingerprint = token ? createHash('sha256').update(token).digest('base64url') : undefined
    const previous = fingerprint && this.failures.previous(fingerprint)
    if (previous) return previous
    try {
      const grant = await verifyToken(secret, token)
      if (!grantCovers(grant, name.name)) return refuse(403, `token does not grant access to document "${name.name}"`, 'forbidden')
      return { ok: true, name: name.name, extensions, access: grant.access, user: grant.user, expiresAt: grant.expiresAt, token: fingerprint }
    } catch (error) {
      if (!(error instanceof TokenError)) throw error
      const refusal = refuse(401, error.message, `token_${error.problem.replace('-', '_')}`)
      if (fingerprint && LASTING.has(error.problem)) this.failures.remember(fingerprint, refusal)
      if (GUESSES.has(error.problem)) this.failures.count(address)
      return refusal
    }
  }

  /** Whether `token` is the `--admin-token` (which, like an admin JWT, reads and writes every document over the API). */
  isAdminToken(token: string | undefined): boolean {
    return token !== undefined && this.settings.adminToken !== undefined && sameSecret(token, this.settings.adminToken)
  }

  /**
   * Whether `token` is an operator's credential: the `--admin-token`, or a token signed with the
   * auth secret carrying the admin claim. Never open, even on an open server: with neither set,
   * every request is refused. Failures are limited like document tokens' (429 after too many).
   */
  async checkAdmin(token: string | undefined, address: string): Promise<AdminVerdict> {
    const { adminToken, authSecret } = this.settings
    if (adminToken === undefined && authSecret === undefined) {
      return refuse(
        403,
        'administration is off on this server: start it with --admin-token (or --auth-secret and a token from quire token --admin)',
        'admin_off'
      )
    }
    const blocked = this.failures.blockedFor(address)
    if (blocked > 0) return refuse(429, `too many failed authentications; try again in ${Math.ceil(blocked / 1000)} s`, 'auth_blocked')
    if (!token) return refuse(401, 'an admin credential is required (Authorization: Bearer <token>)', 'token_missing')
    if (this.isAdminToken(token)) return { ok: true, user: undefined }
    if (authSecret !== undefined) {
      const fingerprint = createHash('sha256').update(token).digest('base64url')
      const previous = this.failures.previous(fingerprint)
      if (previous) return previous
      try {
        const grant = await verifyToken(authSecret, token)
        return grant.admin
          ? { ok: true, user: grant.user }
          : refuse(403, 'this token grants documents, not administration (mint one with quire token --admin)', 'forbidden')
      } catch (error) {
        if (!(error instanceof TokenError)) throw error
        const refusal = refuse(401, error.message, `token_${error.problem.replace('-', '_')}`)
        if (LASTING.has(error.problem)) this.failures.remember(fingerprint, refusal)
        if (GUESSES.has(error.problem)) this.failures.count(address)
        return refusal
      }
    }
    this.failures.count(address)
    return refuse(401, 'admin credential is not valid', 'token_bad_signature')
  }
}

// Compared in constant time over digests, so neither the content nor the length leaks.
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

/** Who passed the admin check: the token's user, if it names one. */
export type AdminVerdict = { ok: true; user: string | undefined } | Refusal

/** A request target split into its raw path and its query. */
export interface RequestTarget {
  /** The path exactly as sent (still percent-encoded, dot segments and all). */
  path: string
  params: URLSearchParams
}

/**
 * Split a request target without resolving it as a URL: `new URL()` would collapse dot
 * segments, turn `\` into `/` and read `//host/...` as a host, letting one spelling reach
 * another document. The document-name rule judges the path as sent.
 */
export function parseRequestTarget(target: string): RequestTarget | undefined {
  if (!target.startsWith('/')) return undefined
  const end = target.search(/[?#]/)
  const path = end === -1 ? target : target.slice(0, end)
  const query = end === -1 || target[end] === '#' ? '' : target.slice(end + 1).split('#')[0]!
  return { path, params: new URLSearchParams(query) }
}
