/**
 * Reading a document's history (HS7, HS8): its versions, a version's state and text, and who
 * wrote each stretch of a version's text. Pure over what storage returns; the HTTP routes and the
 * benchmark read through here.
 *
 * A version's state is every version's update up to it, applied in order to a fresh Y.Doc. Built
 * states are cached (state-cache.ts) every {@link CHECKPOINT_EVERY} versions and at the version
 * opened, so a later open replays only from the nearest one.
 */
import * as Y from 'yjs'
import { readVersionMeta, readVersionRecord, type VersionAuthor, type VersionMeta } from '../storage/history-records.js'
import type { StoredHistory } from '../storage/store.js'
import { ANONYMOUS, type Author } from './authors.js'
import { TEXT_NAME } from './delta.js'
import { StateCache } from './state-cache.js'

/** Versions between two cached states while replaying. */
export const CHECKPOINT_EVERY = 256

const cache = new StateCache(64 * 1024 * 1024)

/** A version as the API shows it (HISTORY-API.md). */
export interface VersionView {
  id: string
  start: number
  end: number
  authors: Author[]
  added: number
  removed: number
  label: string | null
  kind: VersionMeta['kind']
}

/** The API's view of a stored version. */
export function versionView(meta: VersionMeta): VersionView {
  return {
    id: String(meta.id),
    start: meta.start,
    end: meta.end,
    authors: meta.authors.map(({ name, verified, color }) => ({ name, verified, color })),
    added: meta.added,
    removed: meta.removed,
    label: meta.label,
    kind: meta.kind
  }
}

/** Every version's facts, oldest first. Throws DamagedRecordError on a damaged record. */
export function listVersions(history: StoredHistory): VersionMeta[] {
  return history.versions.map((entry) => readVersionMeta(entry.value))
}

/** A stretch of text and who wrote it. */
export interface AuthorSpan {
  from: number
  to: number
  author: Author
  time: number
}

/** One document's stored history, opened for reading. */
export class HistoryReader {
  readonly versions: VersionMeta[]

  constructor(
    private readonly name: string,
    private readonly history: StoredHistory
  ) {
    this.versions = listVersions(history)
  }

  /** The index of version `id`, or -1. */
  indexOf(id: number): number {
    return this.versions.findIndex((version) => version.id === id)
  }

  /** A Y.Doc holding version `index`'s state (the caller destroys it). */
  build(index: number): Y.Doc {
    const ydoc = new Y.Doc()
    let from = 0
    // From the nearest state at hand: one cached, or a stored checkpoint.
    for (let i = index; i >= 0; i--) {
      const state = cache.get(this.key(i)) ?? (this.versions[i]!.checkpointed ? readVersionRecord(this.history.versions[i]!.value).checkpoint : undefined)
      if (state) {
        Y.applyUpdate(ydoc, state)
        from = i + 1
        break
      }
    }
    ydoc.transact(() => {
      for (let i = from; i <= index; i++) {
        Y.applyUpdate(ydoc, readVersionRecord(this.history.versions[i]!.value).delta)
        if ((i + 1) % CHECKPOINT_EVERY === 0 && i < index) cache.set(this.key(i), Y.encodeStateAsUpdate(ydoc))
      }
    })
    if (from <= index) cache.set(this.key(index), Y.encodeStateAsUpdate(ydoc))
    return ydoc
  }

  /** Version `index`'s text. */
  text(index: number): string {
    const ydoc = this.build(index)
    try {
      return ydoc.getText(TEXT_NAME).toString()
    } finally {
      ydoc.destroy()
    }
  }

  /**
   * Who wrote each stretch of `ydoc`'s text (a version's, or the live one): the version whose update
   * first held those characters says who and when. Characters newer than every version belong to
   * `pending` (the live document's unversioned changes), at `pendingTime`.
   */
  authorship(ydoc: Y.Doc, pending: VersionAuthor[] = [], pendingTime = Date.now()): AuthorSpan[] {
    const ranges = this.clockRanges()
    const spans: AuthorSpan[] = []
    let offset = 0
    let item = (ydoc.getText(TEXT_NAME) as unknown as { _start: Y.Item | null })._start
    while (item) {
      if (item.countable && !item.deleted) {
        const { client, clock } = item.id
        // An item may straddle versions (Yjs merges neighbouring structs): split at their ends.
        let at = clock
        const end = clock + item.length
        while (at < end) {
          const found = findRange(ranges.get(client), at)
          const upto = found ? Math.min(end, found.to) : end
          const version = found ? this.versions[found.index] : undefined
          const author = whoWrote(client, version?.authors ?? pending)
          push(spans, { from: offset + (at - clock), to: offset + (upto - clock), author, time: version ? version.end : pendingTime })
          at = upto
        }
        offset += item.length
      }
      item = item.right
    }
    return spans
  }

  // For each client, the clock ranges each version's update added.
  private clockRanges(): Map<number, Array<{ from: number; to: number; index: number }>> {
    const ranges = new Map<number, Array<{ from: number; to: number; index: number }>>()
    this.history.versions.forEach((entry, index) => {
      const meta = Y.parseUpdateMeta(readVersionRecord(entry.value).delta)
      for (const [client, from] of meta.from) {
        const to = meta.to.get(client) ?? from
        if (to > from) {
          let list = ranges.get(client)
          if (!list) ranges.set(client, (list = []))
          list.push({ from, to, index })
        }
      }
    })
    return ranges
  }

  private key(index: number): string {
    const version = this.versions[index]!
    return `${this.name}\u0000${version.id}\u0000${version.end}\u0000${this.history.versions[index]!.value.length}`
  }
}

// Ranges of one client are in version order, so in clock order: binary search.
function findRange(list: Array<{ from: number; to: number; index: number }> | undefined, clock: number) {
  if (!list) return undefined
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (list[mid]!.to <= clock) lo = mid + 1
    else hi = mid
  }
  const range = list[lo]
  return range && range.from <= clock ? range : undefined
}

function whoWrote(client: number, authors: VersionAuthor[]): Author {
  const found = authors.find((author) => author.clients.includes(client))
  return found ? { name: found.name, verified: found.verified, color: found.color } : { name: ANONYMOUS, verified: false, color: null }
}

// Neighbouring stretches by the same author at the same time are one span.
function push(spans: AuthorSpan[], span: AuthorSpan): void {
  const last = spans[spans.length - 1]
  if (last && last.to === span.from && last.time === span.time && last.author.name === span.author.name && last.author.verified === span.author.verified) {
    last.to = span.to
  } else spans.push(span)
}
