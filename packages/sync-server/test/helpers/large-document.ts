/**
 * A large document with many structs, built deterministically: what makes encoding or diffing a
 * document cost real time (one long insert would be one struct and cost nothing).
 */
import { writeFrame } from '@quire/protocol'
import { type ServerProcess, waitFor } from '@quire/testkit'
import * as Y from 'yjs'
import { watched } from './watched.js'

/** A document built from `inserts` insertions of 100 characters at pseudo-random places. */
export interface LargeDocument {
  /** Its whole state as one update. */
  update: Uint8Array
  /** Its state vector. */
  vector: Uint8Array
  /** The client id that wrote it all. */
  clientId: number
  text: string
}

/** Build the document; `seed` picks the places (about 136 bytes of update per insertion). */
export function largeDocument(inserts: number, seed = 1): LargeDocument {
  const doc = new Y.Doc()
  const text = doc.getText('codemirror')
  let state = seed
  const random = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
  for (let i = 0; i < inserts; i++) text.insert(Math.floor(random() * text.length), 'abcdefghij'.repeat(10))
  const result = { update: Y.encodeStateAsUpdate(doc), vector: Y.encodeStateVector(doc), clientId: doc.clientID, text: text.toString() }
  doc.destroy()
  return result
}

/** A state vector that claims only the first `clock` items of `clientId`: its answer is nearly the whole document. */
export function partialVector(clientId: number, clock = 1): Uint8Array {
  return Y.encodeStateVector(new Map([[clientId, clock]]))
}

/** Write `big` to document `name` through a client of `server`, and wait until it is stored. */
export async function storeLargeDocument(server: ServerProcess, name: string, big: LargeDocument): Promise<void> {
  const writer = await watched(`${server.wsUrl}/${name}?ext=ack`)
  writer.ws.send(writeFrame({ type: 'sync-update', update: big.update }))
  await waitFor(() => writer.closed !== undefined || writer.count('ack') === 1, 'the large document to be stored', 60_000)
  writer.ws.close()
  if (writer.closed !== undefined) throw new Error(`storing the large document closed the writer: ${JSON.stringify(writer.closed)}`)
}
