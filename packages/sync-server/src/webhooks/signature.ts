/**
 * Webhook signatures: HMAC-SHA256, keyed with `--webhook-secret`, over `timestamp + "." + body`,
 * sent as `Quire-Signature: t=<unix seconds>,v1=<hex>`. The timestamp is signed with the body, so
 * a receiver that checks it is recent (and the signature) rejects a replayed request.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** Header carrying `t=<unix seconds>,v1=<hex HMAC>`. */
export const SIGNATURE_HEADER = 'Quire-Signature'
/** Header carrying the same unix timestamp on its own, for receivers that log it. */
export const TIMESTAMP_HEADER = 'Quire-Timestamp'
/** How old a signed request a receiver should still accept, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300

/** The hex HMAC-SHA256 of `timestamp + "." + body` under `secret`. */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/** The `Quire-Signature` value for `body` sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signPayload(secret, timestamp, body)}`
}

/**
 * Check a received `Quire-Signature` against the raw body: what a receiver does (the README shows
 * the same steps). Refuses a signature that does not match, or a timestamp further than
 * `toleranceSeconds` from `now` (unix seconds) either way.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  options: { now?: number; toleranceSeconds?: number } = {}
): { ok: true; timestamp: number } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'no signature header' }
  const parts = new Map(header.split(',').map((part) => [part.slice(0, part.indexOf('=')).trim(), part.slice(part.indexOf('=') + 1).trim()]))
  const t = parts.get('t')
  const given = parts.get('v1')
  if (!t || !/^\d{1,12}$/.test(t) || !given || !/^[0-9a-f]{64}$/.test(given)) return { ok: false, reason: 'malformed signature header' }
  const timestamp = Number(t)
  const now = options.now ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: 'timestamp outside the tolerance' }
  const expected = Buffer.from(signPayload(secret, timestamp, body), 'hex')
  return timingSafeEqual(expected, Buffer.from(given, 'hex')) ? { ok: true, timestamp } : { ok: false, reason: 'signature does not match' }
}
