/**
 * Access tokens: HS256 JWTs signed with the server's secret (through `jose`). Claims:
 *   doc     an exact document name, or a folder prefix ending in `/*` (`team/*`), or `*` for all
 *   access  "read" or "write"
 *   exp     expiry (required), iat
 *   user    optional display name the server puts into the holder's awareness state
 *   admin   true: an operator's token (`quire token --admin`); it may use the admin API, and
 *           reads and writes every document (its doc and access claims are implied)
 */
import { webcrypto } from 'node:crypto'

// jose loads on first use: an open server never needs it, and start-up time is reconnect time.
const jose = () => import('jose')

/** What a valid token grants. */
export interface Grant {
  doc: string
  access: 'read' | 'write'
  /** Seconds since the epoch. */
  expiresAt: number
  user: string | undefined
  /** An operator's token: the admin API, and every document. */
  admin: boolean
}

/** Why a token was not accepted; `expired` and `invalid` answer 401. */
export type TokenProblem = 'missing' | 'malformed' | 'bad-signature' | 'expired' | 'invalid-claims'

/** A token that did not verify, with a sentence for the client. */
export class TokenError extends Error {
  constructor(
    readonly problem: TokenProblem,
    message: string
  ) {
    super(message)
    this.name = 'TokenError'
  }
}

const ALGORITHM = 'HS256'
const encoder = new TextEncoder()
const DOC_PATTERN = /^(\*|[A-Za-z0-9_~.\-/]{1,256}\*?)$/

/**
 * Why a grant's `doc` is a trap, or undefined when it is fine: a prefix must end at a folder
 * boundary, since `team*` would also cover `teamsecret`. Minting and verifying both refuse it.
 */
export function prefixProblem(doc: string): string | undefined {
  if (!doc.endsWith('*') || doc === '*' || doc.endsWith('/*')) return undefined
  const stem = doc.slice(0, -1)
  return `a prefix must end at a folder: "${doc}" would also cover "${stem}secret"; use "${stem.replace(/\/+$/, '')}/*" for the folder, or "*" for every document`
}

/** Sign a token granting `access` to `doc` for `expiresInSeconds`, or until `expiresAt` (seconds since the epoch) when given. */
export async function signToken(
  secret: string,
  grant: { doc: string; access: 'read' | 'write'; expiresInSeconds: number; expiresAt?: number; user?: string | undefined }
): Promise<string> {
  const trap = prefixProblem(grant.doc)
  if (trap !== undefined) throw new Error(trap)
  const claims: Record<string, string> = { doc: grant.doc, access: grant.access }
  if (grant.user !== undefined) claims.user = grant.user
  const { SignJWT } = await jose()
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(grant.expiresAt ?? Math.floor(Date.now() / 1000) + grant.expiresInSeconds)
    .sign(encoder.encode(secret))
}

/** Sign an operator's token (admin claim) for `expiresInSeconds`. */
export async function signAdminToken(secret: string, grant: { expiresInSeconds: number; user?: string | undefined }): Promise<string> {
  const claims: Record<string, string | boolean> = { admin: true }
  if (grant.user !== undefined) claims.user = grant.user
  const { SignJWT } = await jose()
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + grant.expiresInSeconds)
    .sign(encoder.encode(secret))
}

// Given raw bytes, jose imports them as a WebCrypto key at every verification, which cost about
// as much as the verification itself under a storm of connections; the server has one secret.
let verifying: { secret: string; key: Promise<webcrypto.CryptoKey> } | undefined
function verifyingKey(secret: string): Promise<webcrypto.CryptoKey> {
  if (verifying?.secret !== secret)
    verifying = { secret, key: webcrypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']) }
  return verifying.key
}

/** Verify a token; throws {@link TokenError} saying what was wrong. */
export async function verifyToken(secret: string, token: string | null | undefined): Promise<Grant> {
  if (!token) throw new TokenError('missing', 'a token is required (?token=...)')
  const { errors, jwtVerify } = await jose()
  let payload: Record<string, unknown>
  try {
    payload = (await jwtVerify(token, await verifyingKey(secret), { algorithms: [ALGORITHM], requiredClaims: ['exp'] })).payload
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new TokenError('expired', 'token has expired')
    if (error instanceof errors.JWSSignatureVerificationFailed) throw new TokenError('bad-signature', 'token signature is not valid for this server')
    if (error instanceof errors.JWTClaimValidationFailed) throw new TokenError('invalid-claims', `token claim "${error.claim}" is not valid`)
    throw new TokenError('malformed', 'token is not a well-formed HS256 JWT')
  }
  const { doc, access, exp, user, admin } = payload
  if (admin !== undefined && admin !== true) throw new TokenError('invalid-claims', 'token claim "admin" must be true when present')
  if (user !== undefined && (typeof user !== 'string' || user.length > 100))
    throw new TokenError('invalid-claims', 'token claim "user" must be a string of at most 100 characters')
  if (admin === true) return { doc: '*', access: 'write', expiresAt: exp as number, user, admin: true }
  if (typeof doc !== 'string' || !DOC_PATTERN.test(doc))
    throw new TokenError('invalid-claims', 'token claim "doc" must be a document name or a prefix ending in *')
  const trap = prefixProblem(doc)
  if (trap !== undefined) throw new TokenError('invalid-claims', `token claim "doc" is refused: ${trap}`)
  if (access !== 'read' && access !== 'write') throw new TokenError('invalid-claims', 'token claim "access" must be "read" or "write"')
  return { doc, access, expiresAt: exp as number, user: user as string | undefined, admin: false }
}

/** Whether a grant's `doc` covers the canonical document `name`. */
export function grantCovers(grant: Pick<Grant, 'doc'>, name: string): boolean {
  return grant.doc.endsWith('*') ? name.startsWith(grant.doc.slice(0, -1)) : grant.doc === name
}
