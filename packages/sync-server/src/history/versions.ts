/**
 * Reading a document's history (HS7, HS8): its versions, a version's state and text, and who
 * wrote each stretch of a version's text. Pure over what storage returns; the HTTP routes and the
 * benchmark read through here.
 *
 * A version's state is built from the nearest state at hand before it (a cached one, or a stored
 * checkpoint with the checkpoints it builds on: checkpoints.ts), then the updates of the versions
 * after it, applied in order; with no state at hand, from the first version. The state built is
 * cached (state-cache.ts), so opening it or a later neighbour again replays only from there.
 */
import * as Y from 'yjs'
import { readVersionMeta, readVersionRecord, type VersionAuthor, type VersionMeta } from '../storage/history-records.js'
import type { StoredHistory } from '../storage/store.js'
import { ANONYMOUS, type Author } from './authors.js'
import { TEXT_NAME } from './delta.js'
import { StateCache } from './state-cache.js'

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

  /** The index of version `id`, or -1 (ids grow with the index: binary search). */
  indexOf(id: number): number {
    let lo = 0
    let hi = this.versions.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.versions[mid]!.id < id) lo = mid + 1
      else hi = mid
    }
    return this.versions[lo]?.id === id ? lo : -1
  }

  /** A Y.Doc holding version `index`'s state (the caller destroys it). */
  build(index: number): Y.Doc {
    const { cached, checkpoints, from } = this.start(index)
    const ydoc = new Y.Doc()
    ydoc.transact(() => {
      if (cached) Y.applyUpdateV2(ydoc, cached)
      for (const i of checkpoints) {
        const checkpoint = readVersionRecord(this.history.versions[i]!.value).checkpoint!
        if (checkpoint.encoding === 1) Y.applyUpdate(ydoc, checkpoint.update)
        else Y.applyUpdateV2(ydoc, checkpoint.update)
      }
      for (let i = from; i <= index; i++) Y.applyUpdate(ydoc, readVersionRecord(this.history.versions[i]!.value).delta)
    })
    if (!cached || checkpoints.length > 0 || from <= index) cache.set(this.key(index), Y.encodeStateAsUpdateV2(ydoc))
    return ydoc
  }

  /**
   * Where building version `index` starts: the nearest state at hand at or before it (a cached
   * state, then the checkpoints that lead to a stored one, oldest first), and the first version
   * to replay after it. A checkpoint whose chain is broken (retention merged a version it builds
   * on away) is passed over.
   */
  private start(index: number): { cached?: Uint8Array; checkpoints: number[]; from: number } {
    for (let i = index; i >= 0; i--) {
      const cached = cache.get(this.key(i))
      if (cached) return { cached, checkpoints: [], from: i + 1 }
      if (!this.versions[i]!.checkpointed) continue
      const chain = this.chain(i)
      if (chain) return { ...chain, from: i + 1 }
    }
    return { checkpoints: [], from: 0 }
  }

  // The checkpoints that build version `index`'s state (oldest first), from nothing or from a cached state.
  private chain(index: number): { cached?: Uint8Array; checkpoints: number[] } | undefined {
    const checkpoints: number[] = []
    for (let i = index; ; ) {
      checkpoints.unshift(i)
      const base = this.versions[i]!.checkpointBase ?? 0
      if (base === 0) return { checkpoints }
      const b = this.indexOf(base)
      if (b < 0 || b >= i) return undefined
      const cached = cache.get(this.key(b))
      if (cached) return { cached, checkpoints }
      if (!this.versions[b]!.checkpointed) return undefined
      i = b
    }
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
