/**
 * The documents recently opened in this browser, newest first, so people find their way back
 * without bookmarks. Stored in localStorage; losing it (private mode) costs only the list.
 */

/** One remembered document. */
export interface RecentDocument {
  name: string
  /** When it was last opened, in milliseconds since the epoch. */
  openedAt: number
}

const KEY = 'quire:recent'
const LIMIT = 12

/** The remembered documents, newest first. */
export function recentDocuments(storage: Pick<Storage, 'getItem'> = localStorage): RecentDocument[] {
  try {
    const list: unknown = JSON.parse(storage.getItem(KEY) ?? '[]')
    if (!Array.isArray(list)) return []
    return list.filter((d): d is RecentDocument => typeof d?.name === 'string' && typeof d?.openedAt === 'number')
  } catch {
    return []
  }
}

/** Remember that `name` was opened now. */
export function rememberDocument(name: string, now = Date.now(), storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): void {
  const list = [{ name, openedAt: now }, ...recentDocuments(storage).filter((d) => d.name !== name)].slice(0, LIMIT)
  try {
    storage.setItem(KEY, JSON.stringify(list))
  } catch {
    // Best effort.
  }
}
