/**
 * A request that cannot be answered as asked: route handlers throw one and the API dispatch
 * turns it into the status and a JSON `{ "error": message }` body, so no handler writes its own
 * error responses.
 */

/** A 4xx/5xx answer with a sentence that says what was wrong. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers (`Allow`, `WWW-Authenticate`, ...). */
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
    this.name = 'HttpError'
  }
}
