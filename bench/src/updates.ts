/**
 * Yjs updates and awareness updates encoded by hand, so that hundreds of simulated typists cost
 * the load generator almost nothing. Each typist appends to its own run at the end of the
 * shared `Y.Text` named "codemirror" (the smoke mode checks these bytes against Yjs's own).
 */
import * as encoding from 'lib0/encoding'

export const ROOT = 'codemirror'

/**
 * The Yjs v1 update that inserts `text` (ASCII) for `client` at `clock`, right after the client's
 * previous character (clock - 1), or as its first item when clock is 0.
 */
export function appendUpdate(client: number, clock: number, text: string): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // clients
  encoding.writeVarUint(e, 1) // structs of this client
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, clock)
  if (clock === 0) {
    encoding.writeUint8(e, 4) // ContentString, no origins: parent follows
    encoding.writeVarUint(e, 1) // parent is a root type, by key
    encoding.writeVarString(e, ROOT)
  } else {
    encoding.writeUint8(e, 0x80 | 4) // ContentString with a left origin
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, clock - 1)
  }
  encoding.writeVarString(e, text)
  encoding.writeVarUint(e, 0) // empty delete set
  return encoding.toUint8Array(e)
}

/** An awareness update for one client with a cursor at `pos`. */
export function awarenessUpdate(client: number, clock: number, name: string, pos: number): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, clock)
  encoding.writeVarString(e, JSON.stringify({ user: { name, color: '#30bced' }, cursor: { anchor: pos, head: pos } }))
  return encoding.toUint8Array(e)
}
