/**
 * Who may connect, decided before the WebSocket upgrade so that every refusal is an HTTP
 * status with a sentence: bad names (400), missing or invalid tokens (401), tokens for another
 * document (403), addresses that failed too often (429), and connection limits (503).
 */
import { EXTENSIONS_PARAM, type ExtensionName, parseDocumentPath, parseExtensions } from '@quire/protocol'
import { FailureLimiter } from '../auth/failure-limiter.js'
import { grantCovers, TokenError, verifyToken } from '../auth/token.js'

/** The verdict on a request to reach a document. */
export type Admission =
  | {
      ok: true
      name: string
      extensions: ReadonlySet<ExtensionName>
      access: 'read' | 'write'
      user: string | undefined
      /** Seconds since the epoch when the token expires; undefined in open mode. */
      expiresAt: number | undefined
    }
  | { ok: false; status: number; message: string; reason: string }

/** Gate settings (see ServerSettings). */
export interface GateSettings {
  authSecret: string | undefined
  maxConnections: number
  maxConnectionsPerDocument: number
  maxAuthFailures: number
  authBlockMs: number
}

const refuse = (status: number, message: string, reason: string): Admission => ({ ok: false, status, message, reason })

/** Admission control, with the connection counts it needs. */
export class Gate {
  private readonly perDocument = new Map<string, number>()
  private total = 0
  private readonly failures: FailureLimiter

  constructor(private readonly settings: GateSettings) {
    this.failures = new FailureLimiter({ maxFailures: settings.maxAuthFailures, windowMs: 60_000, blockMs: settings.authBlockMs, maxTracked: 10_000 })
  }

  /** Whether `requestUrl` (path and query) from `address` may open a WebSocket. */
  async admitUpgrade(requestUrl: string, address: string): Promise<Admission> {
    const target = parseRequestTarget(requestUrl)
    if (!target) return refuse(400, 'request target must be a path', 'bad_url')
    const verdict = await this.check(target.path, target.params, address)
    if (!verdict.ok) return verdict
    if (this.total >= this.settings.maxConnections) return refuse(503, 'server has too many connections; try again later', 'too_many_connections')
    if ((this.perDocument.get(verdict.name) ?? 0) >= this.settings.maxConnectionsPerDocument) {
      return refuse(503, 'document has too many connections; try again later', 'too_many_document_connections')
    }
    return verdict
  }

  /** The name and token checks alone (for GET /api/access); `path` is `/<document>`. */
  async check(path: string, params: URLSearchParams, address: string): Promise<Admission> {
    const name = parseDocumentPath(path)
    if (!name.ok) return refuse(400, name.reason, 'bad_document_name')
    const extensions = parseExtensions(params.get(EXTENSIONS_PARAM))
    const secret = this.settings.authSecret
    if (secret === undefined) return { ok: true, name: name.name, extensions, access: 'write', user: undefined, expiresAt: undefined }
    const blocked = this.failures.blockedFor(address)
    if (blocked > 0) return refuse(429, `too many failed authentications; try again in ${Math.ceil(blocked / 1000)} s`, 'auth_blocked')
    try {
      const grant = await verifyToken(secret, params.get('token'))
      if (!grantCovers(grant, name.name)) {
        this.failures.fail(address)
        return refuse(403, `token does not grant access to document "${name.name}"`, 'forbidden')
      }
      return { ok: true, name: name.name, extensions, access: grant.access, user: grant.user, expiresAt: grant.expiresAt }
    } catch (error) {
      if (!(error instanceof TokenError)) throw error
      this.failures.fail(address)
      return refuse(401, error.message, `token_${error.problem.replace('-', '_')}`)
    }
  }

  /** A connection to `name` opened. */
  opened(name: string): void {
    this.total++
    this.perDocument.set(name, (this.perDocument.get(name) ?? 0) + 1)
  }

  /** A connection to `name` closed. */
  closed(name: string): void {
    this.total--
    const left = (this.perDocument.get(name) ?? 1) - 1
    if (left > 0) this.perDocument.set(name, left)
    else this.perDocument.delete(name)
  }
}

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
