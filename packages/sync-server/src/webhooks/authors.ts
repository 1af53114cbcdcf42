/**
 * Who changed a document, as far as the server can tell: the names events report.
 */
import type { Author } from './event.js'

/** Who made changes whose Yjs origins are `origins`: the `user` an origin carries (a token's claim), else the names it showed in its presence. */
export function authorsOf(origins: Iterable<unknown>, shownNames: (origin: unknown) => readonly string[]): Author[] {
  const authors: Author[] = []
  for (const origin of new Set(origins)) {
    const user = typeof origin === 'object' && origin !== null ? (origin as { user?: unknown }).user : undefined
    if (typeof user === 'string') authors.push({ name: user, verified: true })
    else for (const name of shownNames(origin)) authors.push({ name, verified: false })
  }
  return authors
}
