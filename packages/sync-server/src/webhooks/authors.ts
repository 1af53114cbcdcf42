/**
 * Who changed a document, as far as the server can tell: the names events report.
 */
import { ServerChange } from '../documents/server-change.js'
import type { Author } from './event.js'

/**
 * Who made changes whose Yjs origins are `origins`: a server change's author (an HTTP write), a
 * peer's token `user` (verified), else the names the peer showed in its presence (unverified).
 */
export function authorsOf(origins: Iterable<unknown>, shownNames: (origin: unknown) => readonly string[]): Author[] {
  const authors: Author[] = []
  for (const origin of new Set(origins)) {
    if (origin instanceof ServerChange) {
      if (origin.author.user !== undefined) authors.push({ name: origin.author.user, verified: origin.author.verified })
      continue
    }
    const user = typeof origin === 'object' && origin !== null ? (origin as { user?: unknown }).user : undefined
    if (typeof user === 'string') authors.push({ name: user, verified: true })
    else for (const name of shownNames(origin)) authors.push({ name, verified: false })
  }
  return authors
}
