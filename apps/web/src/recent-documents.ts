/**
 * The documents recently opened in this browser, newest first, so people find their way back
 * without bookmarks. Stored in localStorage; losing it (private mode) costs only the list.
 * A document may carry a title: what the person typed when the name had to be made valid
 * ("日本語メモ" for `note-…`); it stays in this browser and is never sent anywhere.
 */

/** One remembered document. */
export interface RecentDocument {
  name: string
  /** When it was last opened, in milliseconds since the epoch. */
  openedAt: number
  /** What the person called it, when that differs from the name. */
  title?: string
}

const KEY = 'quire:recent'
const LIMIT = 12

type ReadStorage = Pick<Storage, 'getItem'>
type WriteStorage = Pick<Storage, 'getItem' | 'setItem'>

function local(): WriteStorage | undefined {
  try {
    return globalThis.localStorage
  } catch {
    return undefined
  }
}

/** The remembered documents, newest first. */
export function recentDocuments(storage: ReadStorage | undefined = local()): RecentDocument[] {
  try {
    const list: unknown = JSON.parse(storage?.getItem(KEY) ?? '[]')
    if (!Array.isArray(list)) return []
    return list
      .filter((d): d is RecentDocument => typeof d?.name === 'string' && typeof d?.openedAt === 'number')
      .map((d) =>
        typeof d.title === 'string' && d.title !== '' ? { name: d.name, openedAt: d.openedAt, title: d.title } : { name: d.name, openedAt: d.openedAt }
      )
  } catch {
    return []
  }
}

function save(list: RecentDocument[], storage: WriteStorage | undefined): void {
  try {
    storage?.setItem(KEY, JSON.stringify(list.slice(0, LIMIT)))
  } catch {
    // Best effort.
  }
}

/** The title remembered for `name`, if any. */
export function documentTitle(name: string, storage: ReadStorage | undefined = local()): string | undefined {
  return recentDocuments(storage).find((d) => d.name === name)?.title
}

/** Remember that `name` was opened now; a `title` given replaces the remembered one. */
export function rememberDocument(name: string, now = Date.now(), storage: WriteStorage | undefined = local(), title?: string): void {
  const list = recentDocuments(storage)
  const kept = title ?? list.find((d) => d.name === name)?.title
  const entry: RecentDocument = kept === undefined || kept === name ? { name, openedAt: now } : { name, openedAt: now, title: kept }
  save([entry, ...list.filter((d) => d.name !== name)], storage)
}

/** Forget `name`: removed by the person, or a document this browser turned out to have no access to. */
export function forgetDocument(name: string, storage: WriteStorage | undefined = local()): void {
  save(
    recentDocuments(storage).filter((d) => d.name !== name),
    storage
  )
}
