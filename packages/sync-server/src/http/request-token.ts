/**
 * The credential an HTTP request carries: `Authorization: Bearer <token>`, else the `token`
 * query parameter (the form WebSocket clients use). The header wins when both are given: it is
 * the one that stays out of logs and browser history.
 */
import type { IncomingHttpHeaders } from 'node:http'

/** The request's token, or undefined when it carries none. */
export function requestToken(headers: IncomingHttpHeaders, params: URLSearchParams): string | undefined {
  const header = headers.authorization
  if (header !== undefined) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
    if (match) return match[1]
  }
  return params.get('token') || undefined
}

/** Whether the request has an Authorization header that is not a Bearer token (refused rather than ignored). */
export function hasForeignAuthorization(headers: IncomingHttpHeaders): boolean {
  return headers.authorization !== undefined && !/^Bearer[ \t]+\S+[ \t]*$/i.test(headers.authorization)
}
