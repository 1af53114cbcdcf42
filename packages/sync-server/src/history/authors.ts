/**
 * Who wrote a change, as far as the server can vouch: the token's `user` claim (verified), else
 * the presence name the client shows (unverified), else nobody in particular.
 */
import { ServerChange } from '../documents/server-change.js'
import type { VersionAuthor } from '../storage/history-records.js'

/** An author without client ids: what a change's origin tells. */
export type Author = Omit<VersionAuthor, 'clients'>

/** The name given to changes nobody vouched for (no token user, no presence name). */
export const ANONYMOUS = 'Anonymous'

/** The author of a change the server made (API, restore) with `origin`, or anonymous. */
export function authorOf(origin: unknown): Author {
  if (origin instanceof ServerChange && origin.author.user !== undefined) return { name: origin.author.user, verified: origin.author.verified, color: null }
  return { name: ANONYMOUS, verified: false, color: null }
}

/** Each named author once, without colours (what webhook events report); nobody in particular is left out. */
export function vouchedAuthors(authors: Iterable<Author>): Array<{ name: string; verified: boolean }> {
  const byKey = new Map<string, { name: string; verified: boolean }>()
  for (const { name, verified } of authors) {
    if (name === ANONYMOUS && !verified) continue
    byKey.set(`${verified ? 1 : 0}:${name}`, { name, verified })
  }
  return [...byKey.values()]
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
