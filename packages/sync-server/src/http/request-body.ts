/**
 * Reading a request body with a bound: bodies are held in memory, so one larger than the limit
 * (the document-size limit, `--max-document-bytes`) is refused with 413 as soon as it is known to
 * be too large, from Content-Length or while it streams, without buffering the rest.
 */
import type { IncomingMessage } from 'node:http'
import { HttpError } from './http-error.js'

/** The whole body of `req`, at most `limit` bytes; throws {@link HttpError} 413 beyond. */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new HttpError(413, `request body is larger than ${limit} bytes (the document size limit, --max-document-bytes)`)
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    // Close after answering: reading the rest of a huge body only to discard it is work for nothing.
    req.resume()
    return Promise.reject(Object.assign(tooLarge(), { closeConnection: true }))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > limit) {
        done = true
        chunks.length = 0
        req.resume()
        reject(Object.assign(tooLarge(), { closeConnection: true }))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (done) return
      done = true
      resolve(new Uint8Array(Buffer.concat(chunks, size)))
    })
    req.on('error', (error) => {
      if (done) return
      done = true
      reject(new HttpError(400, `request body could not be read: ${error.message}`))
    })
  })
}

/** The media type of a request (`text/plain` from `text/plain; charset=utf-8`), lower case; '' without one. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}
