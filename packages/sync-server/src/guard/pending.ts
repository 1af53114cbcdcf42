/**
 * Updates Yjs holds back. Yjs keeps the part of an update it cannot integrate yet (a gap in a
 * client's history, a reference to an item it has not seen, a deletion of one) as "pending", in one
 * merged update shared by every sender, until the missing part arrives. The server bounds that
 * memory; to cut off the sender who would overflow it without discarding what others are waiting
 * for, it tells before applying whether an update would wait whole, and can put the pending state
 * back as it was before an update that overflowed it anyway.
 */
import * as Y from 'yjs'
import type { DecodedUpdate } from './integration-cost.js'

/**
 * Whether Yjs would hold all of `update` back, integrating none of it into `doc`: the update then
 * adds about its whole size to what waits. Mirrors `integrateStructs` and `readAndApplyDeleteSet`.
 * A struct waits if its client's history does not reach its clock, if an earlier struct of its
 * client waits, or if it refers to another client's item the document does not hold (the first
 * struct Yjs integrates can rely on nothing else); a deletion waits if it starts past the
 * history. Never true when part of the update would go in, so it refuses no update that would
 * have been integrated; the caller checks what waits after applying as well.
 */
export function waitsWhole(doc: Y.Doc, update: DecodedUpdate): boolean {
  const store = doc.store
  const held = new Set<number>()
  const inDoc = (owner: number, id: Y.ID | null) => id === null || id.client === owner || id.clock < Y.getState(store, id.client)
  let waits = false
  for (const struct of update.structs) {
    if (struct instanceof Y.Skip) continue
    const client = struct.id.client
    const parent = struct instanceof Y.Item && struct.parent instanceof Y.ID ? struct.parent : null
    const ready =
      !held.has(client) &&
      struct.id.clock <= Y.getState(store, client) &&
      (!(struct instanceof Y.Item) || (inDoc(client, struct.origin) && inDoc(client, struct.rightOrigin) && inDoc(client, parent)))
    if (ready) return false
    held.add(client)
    waits = true
  }
  for (const [client, ranges] of update.ds.clients) {
    const history = Y.getState(store, client)
    if (ranges.some((range) => range.clock < history)) return false
    waits ||= ranges.length > 0
  }
  return waits
}

/** Bytes Yjs holds pending in `doc`. */
export function pendingBytes(doc: Y.Doc): number {
  return (doc.store.pendingStructs?.update.length ?? 0) + (doc.store.pendingDs?.length ?? 0)
}

/**
 * Remember what `doc` holds pending now; the returned function puts it back. What Yjs integrated
 * from it meanwhile may be put back too: Yjs skips what it already has when it retries.
 */
export function savePending(doc: Y.Doc): () => void {
  const store = doc.store
  const structs = store.pendingStructs && { missing: new Map(store.pendingStructs.missing), update: store.pendingStructs.update }
  const ds = store.pendingDs
  return () => {
    store.pendingStructs = structs && { missing: new Map(structs.missing), update: structs.update }
    store.pendingDs = ds
  }
}
