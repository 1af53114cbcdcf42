/**
 * Updates Yjs holds back. Yjs keeps the part of an update it cannot integrate yet (a gap in a
 * client's history, a reference to an item it has not seen, a deletion of one) as "pending", in one
 * merged update shared by every sender, until the missing part arrives. The server bounds that
 * memory; to cut off the sender who would overflow it without discarding what others are waiting
 * for, it predicts before applying whether an update may wait, and can put the pending state back
 * as it was before an update that overflowed it anyway.
 */
import * as Y from 'yjs'
import type { DecodedUpdate } from './integration-cost.js'

/**
 * Whether Yjs may keep part of `update` pending instead of integrating it into `doc`. False means
 * it integrates all of it. Mirrors `integrateStructs` and `readAndApplyDeleteSet`: a struct waits
 * if its client's history does not reach its clock, or if it refers to another client's item that
 * neither the document nor the update holds; a deletion waits if it reaches past the history. One
 * case is answered wrongly: references that go round in a circle within the update (a crafted
 * one) wait although each is present; the caller checks the pending size after applying as well.
 */
export function mayWait(doc: Y.Doc, update: DecodedUpdate): boolean {
  const store = doc.store
  // How far each client's history reaches once the update's structs before this one are in.
  const reach = new Map<number, number>()
  const reached = (client: number) => reach.get(client) ?? Y.getState(store, client)
  for (const struct of update.structs) {
    if (struct instanceof Y.Skip) continue
    const client = struct.id.client
    const history = reached(client)
    if (struct.id.clock > history) return true
    reach.set(client, Math.max(history, struct.id.clock + struct.length))
  }
  // References to the item's own client are earlier in its history (the shape check makes sure).
  const missing = (owner: number, id: Y.ID | null) => id !== null && id.client !== owner && id.clock >= reached(id.client)
  for (const struct of update.structs) {
    if (!(struct instanceof Y.Item)) continue
    const owner = struct.id.client
    const parent = struct.parent instanceof Y.ID ? struct.parent : null
    if (missing(owner, struct.origin) || missing(owner, struct.rightOrigin) || missing(owner, parent)) return true
  }
  for (const [client, ranges] of update.ds.clients) {
    const history = reached(client)
    if (ranges.some((range) => range.clock + range.len > history)) return true
  }
  return false
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
