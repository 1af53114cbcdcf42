/**
 * One Yjs update cut into several, each under a size, that apply one after the other. Work done
 * offline, or restored from IndexedDB after a reload, reaches the server in one sync step 2 from
 * y-websocket: everything the server lacks, in one message, which a server with a message limit
 * refuses by closing the connection, again on every reconnect. Cut into parts, it goes.
 *
 * Each part is a valid update that the receiver can integrate at once, given the parts before
 * it: a struct goes out only after every struct it refers to (the one before it from the same
 * client, its left and right origins, its parent), so no receiver has to hold a part pending.
 * A string too large for one part is cut like Yjs cuts it when an insertion lands inside it (a
 * right half whose origin is the left half's last character), never inside a surrogate pair. The
 * delete set travels last, when every struct it names is there. Only what Yjs exports is used:
 * `decodeUpdate` to read, and the structs' own `write` in the v1 update format to write.
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

type Struct = Y.Item | Y.GC | Y.Skip

/** At most what a client's group of structs costs beside the structs: their count, the client id, the first clock. */
const GROUP_BYTES = 24
/** At most what one deleted range costs, its client's header included. */
const DELETE_BYTES = 40
/** The smallest piece of a string worth cutting off. */
const MIN_PIECE_BYTES = 256

/**
 * `update` (Yjs update format v1) as parts of at most `maxBytes` bytes each, to be applied in
 * order; `[update]` when it fits, or when it cannot be cut (gaps in it, or a single struct that
 * is not text and is larger than `maxBytes`: that part is left oversized for the server to refuse).
 */
export function updateParts(update: Uint8Array, maxBytes: number): Uint8Array[] {
  if (update.length <= maxBytes) return [update]
  const { structs, ds } = Y.decodeUpdate(update)
  const queues = new Map<number, { structs: Struct[]; at: number }>()
  for (const struct of structs) {
    // A gap (in merged updates): what follows it depends on what is missing, and cannot go first.
    if (struct instanceof Y.Skip) return [update]
    const queue = queues.get(struct.id.client)
    if (queue) queue.structs.push(struct)
    else queues.set(struct.id.client, { structs: [struct], at: 0 })
  }
  // What the receiver will hold, per client in the update: it has everything before the update's first clock.
  const next = new Map<number, number>()
  for (const [client, queue] of queues) next.set(client, (queue.structs[0] as Struct).id.clock)
  const present = (id: Y.ID | null): boolean => id === null || id.clock < (next.get(id.client) ?? Number.POSITIVE_INFINITY)
  const ready = (struct: Struct): boolean =>
    !(struct instanceof Y.Item) || (present(struct.origin) && present(struct.rightOrigin) && (!(struct.parent instanceof Y.ID) || present(struct.parent)))

  const parts: Uint8Array[] = []
  let part = new Part()
  const flush = (): void => {
    if (part.empty) return
    parts.push(part.encode())
    part = new Part()
  }
  const take = (struct: Struct, bytes: number): void => {
    part.add(struct, bytes)
    next.set(struct.id.client, struct.id.clock + struct.length)
  }

  // Round after round, every client's structs as far as what they refer to has gone before.
  for (let waiting = true; waiting; ) {
    let progressed = false
    waiting = false
    for (const queue of queues.values()) {
      while (queue.at < queue.structs.length) {
        const struct = queue.structs[queue.at] as Struct
        if (!ready(struct)) {
          waiting = true
          break
        }
        progressed = true
        const bytes = sizeOf(struct)
        const room = maxBytes - part.bytesWith(struct.id.client)
        if (bytes <= room) {
          queue.at++
          take(struct, bytes)
          continue
        }
        const cut = cutPoint(struct, room)
        if (cut > 0) {
          queue.structs[queue.at] = cutAt(struct as Y.Item, cut)
          take(struct, sizeOf(struct))
        } else if (part.empty) {
          // Neither fits nor cuts: alone, and oversized.
          queue.at++
          take(struct, bytes)
        }
        flush()
      }
    }
    // Structs that wait for something the update does not bring are not for cutting.
    if (waiting && !progressed) return [update]
  }
  for (const [client, ranges] of ds.clients) {
    for (const { clock, len } of ranges) {
      if (part.bytes + DELETE_BYTES > maxBytes) flush()
      part.delete(client, clock, len)
    }
  }
  flush()
  return parts
}

/** The parts of one update being filled. */
class Part {
  readonly #groups = new Map<number, Struct[]>()
  readonly #deletes = new Map<number, Array<{ clock: number; len: number }>>()
  /** Its encoded size so far, framing included. */
  bytes = 16

  get empty(): boolean {
    return this.#groups.size === 0 && this.#deletes.size === 0
  }

  /** Its size once it holds something of `client`'s. */
  bytesWith(client: number): number {
    return this.bytes + (this.#groups.has(client) ? 0 : GROUP_BYTES)
  }

  add(struct: Struct, bytes: number): void {
    this.bytes = this.bytesWith(struct.id.client) + bytes
    const group = this.#groups.get(struct.id.client)
    if (group) group.push(struct)
    else this.#groups.set(struct.id.client, [struct])
  }

  delete(client: number, clock: number, len: number): void {
    this.bytes += DELETE_BYTES
    const ranges = this.#deletes.get(client)
    if (ranges) ranges.push({ clock, len })
    else this.#deletes.set(client, [{ clock, len }])
  }

  // As Yjs writes an update (writeClientsStructs, writeDeleteSet), v1 format.
  encode(): Uint8Array {
    const encoder = new Y.UpdateEncoderV1()
    encoding.writeVarUint(encoder.restEncoder, this.#groups.size)
    for (const [client, structs] of this.#groups) {
      encoding.writeVarUint(encoder.restEncoder, structs.length)
      encoder.writeClient(client)
      encoding.writeVarUint(encoder.restEncoder, (structs[0] as Struct).id.clock)
      for (const struct of structs) struct.write(encoder, 0)
    }
    encoding.writeVarUint(encoder.restEncoder, this.#deletes.size)
    for (const [client, ranges] of this.#deletes) {
      encoder.resetDsCurVal()
      encoding.writeVarUint(encoder.restEncoder, client)
      encoding.writeVarUint(encoder.restEncoder, ranges.length)
      for (const { clock, len } of ranges) {
        encoder.writeDsClock(clock)
        encoder.writeDsLen(len)
      }
    }
    return encoder.toUint8Array()
  }
}

function sizeOf(struct: Struct): number {
  const encoder = new Y.UpdateEncoderV1()
  struct.write(encoder, 0)
  return encoding.length(encoder.restEncoder)
}

const utf8 = new TextEncoder()

/**
 * Where to cut `struct` so that its left piece encodes in `room` bytes: a count of UTF-16 code
 * units, never splitting a surrogate pair; 0 when it cannot be cut (not text, or no room).
 */
function cutPoint(struct: Struct, room: number): number {
  if (room < MIN_PIECE_BYTES || !(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString)) return 0
  const text = struct.content.str
  // What the item spends beside its text: info, origins, the string's length.
  let left = room - (sizeOf(struct) - utf8.encode(text).length)
  let cut = 0
  while (cut < text.length) {
    const code = text.charCodeAt(cut)
    const pair = code >= 0xd800 && code <= 0xdbff && cut + 1 < text.length
    const bytes = pair ? 4 : code < 0x80 ? 1 : code < 0x800 ? 2 : 3
    if (bytes > left) break
    left -= bytes
    cut += pair ? 2 : 1
  }
  return cut < text.length ? cut : 0
}

// Yjs' own cut (sliceStruct in its updates.js): `item` keeps the first `at` units, the returned item the rest.
function cutAt(item: Y.Item, at: number): Y.Item {
  const { client, clock } = item.id
  const right = new Y.Item(
    Y.createID(client, clock + at),
    null,
    Y.createID(client, clock + at - 1),
    null,
    item.rightOrigin,
    item.parent,
    item.parentSub,
    item.content.splice(at)
  )
  item.length = at
  return right
}
