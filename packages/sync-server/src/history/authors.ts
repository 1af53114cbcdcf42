/**
 * Who wrote a change, as far as the server can vouch: the token's `user` claim (verified), else
 * the presence name the client shows (unverified), else nobody in particular.
 */
import type { VersionAuthor } from '../storage/history-records.js'

/** An author without client ids: what a change's origin tells. */
export type Author = Omit<VersionAuthor, 'clients'>

/** The name given to changes nobody vouched for (no token user, no presence name). */
export const ANONYMOUS = 'Anonymous'

/** Whatever can say who made a change: peers and server-made changes carry one. */
export interface Authored {
  readonly author: () => Author
}

/** The author of a change made with `origin`, or anonymous. */
export function authorOf(origin: unknown): Author {
  const authored = origin as Partial<Authored> | null | undefined
  return typeof authored?.author === 'function' ? authored.author() : { name: ANONYMOUS, verified: false, color: null }
}

/** Authors of several versions as one list: one entry per (name, verified), client ids joined. */
export function mergeAuthors(lists: VersionAuthor[][]): VersionAuthor[] {
  const byKey = new Map<string, VersionAuthor>()
  for (const list of lists) {
    for (const author of list) {
      const key = `${author.verified ? 1 : 0}:${author.name}`
      const found = byKey.get(key)
      if (!found) byKey.set(key, { ...author, clients: [...author.clients] })
      else {
        for (const client of author.clients) if (!found.clients.includes(client)) found.clients.push(client)
        found.color ??= author.color
      }
    }
  }
  return [...byKey.values()]
}
