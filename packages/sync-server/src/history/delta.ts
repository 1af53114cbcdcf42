/**
 * How a version is cut: the Yjs update that takes the state of the previous version to the state
 * of this one, and how much text it added and removed. Pure (no I/O): the recorder, retention and
 * the benchmark all cut through here, so a version's bytes never depend on who cut it.
 *
 * `Y.encodeStateAsUpdate(doc, previousVector)` holds the new structs (deleted content already
 * collected) but also the document's whole delete set, which would be stored again with every
 * version. The delete set is the update's tail; it is replaced by the deletions made since the
 * previous version, so all versions together stay about the size of the document.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/** Deleted ranges by client: `[clock, length]` pairs, sorted by clock and not overlapping. */
export type DeleteRanges = Map<number, Array<[number, number]>>

/** Where a version ends: its state vector and the deletions made up to it. */
export interface VersionBase {
  vector: Map<number, number>
  deleted: DeleteRanges
}

/** The start of every history: nothing. */
export const EMPTY_BASE: VersionBase = { vector: new Map(), deleted: new Map() }

/** One cut: the update since the previous version, where this one ends, and what it changed. */
export interface Cut {
  delta: Uint8Array
  base: VersionBase
  /** Characters of the `codemirror` text inserted since the previous version (and still there). */
  added: number
  /** Characters of the `codemirror` text present at the previous version and deleted since. */
  removed: number
}

/** The name of the shared text (DESIGN.md: the stock demos bind `codemirror`). */
export const TEXT_NAME = 'codemirror'

/** Cut the version that `doc` is now, after `previous`. */
export function cutVersion(doc: Y.Doc, previous: VersionBase): Cut {
  const deleted = deleteRangesOf(doc)
  const delta = updateSince(doc, previous, deleted)
  const { added, removed } = countChanges(doc, previous)
  return { delta, base: baseOf(doc, deleted), added, removed }
}

/** Where `doc` is now, as a version ending here would record it. */
export function baseOf(doc: Y.Doc, deleted: DeleteRanges = deleteRangesOf(doc)): VersionBase {
  return { vector: Y.decodeStateVector(Y.encodeStateVector(doc)), deleted }
}

/**
 * The Yjs update (V1) from the state at `previous` to `doc`'s: the structs added since (deleted
 * content already collected) and only the deletions made since. `deleted` is `doc`'s delete ranges.
 */
export function updateSince(doc: Y.Doc, previous: VersionBase, deleted: DeleteRanges = deleteRangesOf(doc)): Uint8Array {
  const full = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(previous.vector))
  const tail = encodeDeleteRanges(deleted)
  const newDeletions = encodeDeleteRanges(subtractRanges(deleted, previous.deleted))
  // A document with pending structs gets a merged update whose tail is not ours: store it whole.
  return endsWith(full, tail) ? concat(full.subarray(0, full.length - tail.length), newDeletions) : full
}

/** The deleted ranges of a document, from its struct store. */
export function deleteRangesOf(doc: Y.Doc): DeleteRanges {
  const ds = Y.createDeleteSetFromStructStore(doc.store) as unknown as { clients: Map<number, Array<{ clock: number; len: number }>> }
  const ranges: DeleteRanges = new Map()
  for (const [client, items] of ds.clients) {
    ranges.set(
      client,
      items.map((item) => [item.clock, item.len])
    )
  }
  return ranges
}

/** Encode deleted ranges as Yjs (V1) writes a delete set: clients in descending order. */
export function encodeDeleteRanges(ranges: DeleteRanges): Uint8Array {
  const encoder = encoding.createEncoder()
  const clients = [...ranges.entries()].filter(([, list]) => list.length > 0).sort((a, b) => b[0] - a[0])
  encoding.writeVarUint(encoder, clients.length)
  for (const [client, list] of clients) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, list.length)
    for (const [clock, len] of list) {
      encoding.writeVarUint(encoder, clock)
      encoding.writeVarUint(encoder, len)
    }
  }
  return encoding.toUint8Array(encoder)
}

/** Decode what {@link encodeDeleteRanges} wrote; throws on malformed bytes. */
export function decodeDeleteRanges(decoder: decoding.Decoder): DeleteRanges {
  const ranges: DeleteRanges = new Map()
  const clients = decoding.readVarUint(decoder)
  for (let i = 0; i < clients; i++) {
    const client = decoding.readVarUint(decoder)
    const count = decoding.readVarUint(decoder)
    const list: Array<[number, number]> = []
    for (let j = 0; j < count; j++) list.push([decoding.readVarUint(decoder), decoding.readVarUint(decoder)])
    ranges.set(client, list)
  }
  return ranges
}

/** The ranges of `a` not in `b` (both sorted and disjoint per client). */
export function subtractRanges(a: DeleteRanges, b: DeleteRanges): DeleteRanges {
  const out: DeleteRanges = new Map()
  for (const [client, list] of a) {
    const minus = b.get(client) ?? []
    const kept: Array<[number, number]> = []
    let j = 0
    for (const [clock, len] of list) {
      let start = clock
      const end = clock + len
      while (j < minus.length && minus[j]![0] + minus[j]![1] <= start) j++
      let k = j
      while (start < end && k < minus.length && minus[k]![0] < end) {
        const [mClock, mLen] = minus[k]!
        if (mClock > start) kept.push([start, mClock - start])
        start = Math.max(start, mClock + mLen)
        k++
      }
      if (start < end) kept.push([start, end - start])
    }
    if (kept.length > 0) out.set(client, kept)
  }
  return out
}

/** How many of `[clock, clock + len)` fall in `ranges` of `client`. */
function overlap(ranges: DeleteRanges, client: number, clock: number, len: number): number {
  const list = ranges.get(client)
  if (!list) return 0
  // Binary search for the first range ending after `clock`.
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (list[mid]![0] + list[mid]![1] <= clock) lo = mid + 1
    else hi = mid
  }
  let covered = 0
  const end = clock + len
  for (let i = lo; i < list.length && list[i]![0] < end; i++) {
    covered += Math.min(end, list[i]![0] + list[i]![1]) - Math.max(clock, list[i]![0])
  }
  return covered
}

// Walk the text once: visible characters newer than the previous version were added; deleted ones
// older than it, and not yet deleted then, were removed.
function countChanges(doc: Y.Doc, previous: VersionBase): { added: number; removed: number } {
  let added = 0
  let removed = 0
  let item = (doc.getText(TEXT_NAME) as unknown as { _start: Y.Item | null })._start
  while (item) {
    if (item.countable) {
      const { client, clock } = item.id
      const known = previous.vector.get(client) ?? 0
      if (!item.deleted) {
        if (clock + item.length > known) added += clock + item.length - Math.max(clock, known)
      } else if (clock < known) {
        const before = Math.min(item.length, known - clock)
        removed += before - overlap(previous.deleted, client, clock, before)
      }
    }
    item = item.right
  }
  return { added, removed }
}

function endsWith(bytes: Uint8Array, tail: Uint8Array): boolean {
  if (tail.length > bytes.length) return false
  const offset = bytes.length - tail.length
  for (let i = 0; i < tail.length; i++) if (bytes[offset + i] !== tail[i]) return false
  return true
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
