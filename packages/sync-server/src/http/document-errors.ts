/**
 * What the document layer's failures mean to an HTTP client: a refused change is the client's
 * (422 malformed or too costly, 413 past the size limit), a document that is closing or cannot
 * be read is the server's (503, retry; 500 for damaged data an operator must look at).
 */
import { DocumentDamagedError } from '../documents/load.js'
import { ChangeRefusedError, DocumentUnavailableError } from '../documents/server-change.js'
import { HttpError } from './http-error.js'

/** `error` as the HttpError it stands for; anything unexpected is returned as is (a 500). */
export function documentError(error: unknown): unknown {
  if (error instanceof ChangeRefusedError) return new HttpError(error.kind === 'full' ? 413 : 422, error.message)
  if (error instanceof DocumentUnavailableError) return new HttpError(503, `${error.message}; try again`, { 'Retry-After': '1' })
  if (error instanceof DocumentDamagedError) return new HttpError(500, `${error.message}; an operator must look at it`)
  return error
}

/** Run `work`, turning document-layer failures into their HttpErrors. */
export async function asHttp<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (error) {
    throw documentError(error)
  }
}
