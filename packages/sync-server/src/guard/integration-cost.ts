/**
 * How much work applying an update to a document would take, found before applying it.
 *
 * `checkUpdate` bounds what one update declares; this bounds what it does to the document it
 * meets. Yjs places a concurrent insert by scanning the items between its origin and its right
 * origin, and deletes by walking every struct in each deleted range. Crafted updates can make
 * both scans as long as the document, message after message (200 + 200 items at one position
 * cost ~0.4 s; 8,000 + 8,000 cost ~6 s). We walk the same paths Yjs will, with the same rules,
 * and stop counting at the budget, so this costs at most `budget` steps.
 *
 * Written against the Yjs version in `yjs-version.ts`; re-check it when Yjs changes.
 */
import * as Y from 'yjs'

type ID = Y.ID

/** An update as `Y.decodeUpdate` returns it: decoded once, checked against the document by the guards. */
export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>

/** Most work one update may cost: items scanned placing inserts, structs walked deleting. */
export interface IntegrationBudget {
  /** ~200 ns each: 100,000 is about 20 ms. Real edits scan 0 or 1. */
  insertScans: number
  /** ~5 ns each: a client resyncing its whole delete set walks every deleted struct once. */
  deleteWalks: number
}

/** Defaults: together well under 100 ms of work on a slow core. */
export const defaultIntegrationBudget: IntegrationBudget = { insertScans: 100_000, deleteWalks: 5_000_000 }

/** What applying `update` (decoded) to `doc` would cost; counting stops once a budget is exceeded. */
export function integrationCost(doc: Y.Doc, update: DecodedUpdate, budget: IntegrationBudget = defaultIntegrationBudget) {
  const { structs, ds } = update
  const store = doc.store
  let insertScans = 0
  let deleteWalks = 0
  const result = () => ({ insertScans, deleteWalks, exceeded: insertScans > budget.insertScans || deleteWalks > budget.deleteWalks })
  for (const struct of structs) {
    // Yjs skips what it already has (a reconnecting client resends its whole state).
    if (!(struct instanceof Y.Item) || struct.id.clock + struct.length <= Y.getState(store, struct.id.client)) continue
    insertScans += insertScan(doc, struct, budget.insertScans - insertScans)
    if (insertScans > budget.insertScans) return result()
  }
  for (const [client, ranges] of ds.clients) {
    const list = store.clients.get(client)
    if (!list || list.length === 0) continue
    const state = Y.getState(store, client)
    for (const range of ranges) {
      if (range.clock >= state) continue
      const last = Math.min(range.clock + range.len, state) - 1
      deleteWalks += Y.findIndexSS(list, last) - Y.findIndexSS(list, range.clock) + 1
      if (deleteWalks > budget.deleteWalks) return result()
    }
  }
  return result()
}

const inDoc = (store: Y.Doc['store'], id: ID | null): boolean => id !== null && id.clock < Y.getState(store, id.client)

const contains = (item: Y.AbstractStruct, id: ID | null): boolean =>
  id !== null && item.id.client === id.client && item.id.clock <= id.clock && id.clock < item.id.clock + item.length

const sameId = (a: ID | null, b: ID | null): boolean => (a === null ? b === null : b !== null && a.client === b.client && a.clock === b.clock)

// Mirrors the conflict loop of Item.integrate, counting iterations instead of moving items.
function insertScan(doc: Y.Doc, item: Y.Item, budget: number): number {
  const store = doc.store
  // Items whose neighbours arrive in the same update are placed among themselves; checkUpdate bounds those.
  if (item.origin !== null && !inDoc(store, item.origin)) return 0
  if (item.rightOrigin !== null && !inDoc(store, item.rightOrigin)) return 0
  let o: Y.Item | null
  let steps = 0
  if (item.origin !== null) {
    const left = Y.getItem(store, item.origin) as Y.AbstractStruct
    if (!(left instanceof Y.Item)) return 0
    // Origin inside a longer item: Yjs splits it, and the rest is the first item scanned.
    if (item.origin.clock < left.id.clock + left.length - 1) {
      if (item.rightOrigin !== null && item.rightOrigin.client === left.id.client && item.rightOrigin.clock === item.origin.clock + 1) return 0
      steps++
    }
    o = left.right
  } else {
    const found = startOf(doc, item)
    if (found === undefined) return 0
    o = found.start
    steps += found.steps
  }
  const before = new Set<Y.Item>()
  const conflicting = new Set<Y.Item>()
  while (o !== null && !contains(o, item.rightOrigin)) {
    if (++steps > budget) return steps
    before.add(o)
    conflicting.add(o)
    if (sameId(item.origin, o.origin)) {
      if (o.id.client < item.id.client) conflicting.clear()
      else if (sameId(item.rightOrigin, o.rightOrigin)) break
    } else if (o.origin !== null && inDoc(store, o.origin) && before.has(Y.getItem(store, o.origin) as Y.Item)) {
      if (!conflicting.has(Y.getItem(store, o.origin) as Y.Item)) conflicting.clear()
    } else {
      break
    }
    o = o.right
  }
  return steps
}

// Where Yjs starts scanning an item with no left origin: its parent's first item, or, for a map
// entry, the oldest value of its key (walking there counts as work too, but is bounded by it).
function startOf(doc: Y.Doc, item: Y.Item): { start: Y.Item | null; steps: number } | undefined {
  const parentRef = item.parent as unknown
  // biome-ignore lint: Yjs types its parents loosely
  let parent: Y.AbstractType<any> | undefined
  if (typeof parentRef === 'string') parent = doc.share.get(parentRef)
  else if (parentRef && typeof parentRef === 'object' && 'client' in parentRef && inDoc(doc.store, parentRef as ID)) {
    const holder = Y.getItem(doc.store, parentRef as ID)
    if (holder instanceof Y.Item && holder.content instanceof Y.ContentType) parent = holder.content.type
  }
  if (!parent) return undefined
  if (item.parentSub !== null) {
    let o = parent._map.get(item.parentSub) ?? null
    let steps = 0
    while (o !== null && o.left !== null) {
      o = o.left
      steps++
    }
    return { start: o, steps }
  }
  return { start: parent._start, steps: 0 }
}
