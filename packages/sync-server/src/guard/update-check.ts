/**
 * A bounded pre-check of untrusted Yjs updates (v1 encoding), run before `Y.applyUpdate`.
 *
 * Yjs trusts what an update declares: counts, lengths, parents. A crafted update can make it
 * allocate or loop far beyond its size, or integrate many concurrent items at one position,
 * which costs time quadratic in their number. This walk reads every field the way Yjs will,
 * in time linear in the bytes, allocating nothing per declared element, and refuses an update
 * that is malformed or that goes past a limit. Only an update that passes is applied.
 *
 * It also keeps clocks safe. Yjs numbers each client's structs with plain numbers and trusts the
 * lengths it is sent; near 2^53 floating point cannot tell neighbouring clocks apart and Yjs
 * corrupts the document. Clocks in an update are absolute (each client's run starts at a declared
 * clock, and Yjs integrates a struct only where the client's history reaches it), so bounding every
 * clock an update mentions bounds every document it is applied to, however many updates it takes.
 *
 * Written against the Yjs version in `yjs-version.ts`; re-check it when Yjs changes.
 */
import * as decoding from 'lib0/decoding'

/** Limits on one update. */
export interface UpdateLimits {
  /** Structs (items, GC and skip ranges) in one update. */
  maxStructs: number
  /** Delete-set ranges in one update. */
  maxDeleteRanges: number
  /**
   * Estimated integration work: for each insert position written by several clients in one
   * update, the square of the items there. Real edits score near zero.
   */
  maxConflictWork: number
  /**
   * Highest clock an update may reach: a client's first clock plus the lengths of its structs, a
   * delete range's clock plus its length, and any clock it refers to.
   */
  maxClock: number
}

/**
 * Defaults that pass the initial sync of a large real document (100k-edit histories). A client's
 * clock counts the characters it has inserted, so 2^48 (about 2.8 × 10^14) is out of any real
 * client's reach, and 32 times below 2^53: Yjs adds lengths to clocks and doubles clock
 * differences in its v2 encoding, and all of that stays exact.
 */
export const defaultUpdateLimits: UpdateLimits = {
  maxStructs: 200_000,
  maxDeleteRanges: 200_000,
  maxConflictWork: 2_000_000,
  maxClock: 2 ** 48
}

/** The verdict on an update. */
export type UpdateCheck = { ok: true; structs: number } | { ok: false; reason: string }

class Refused extends Error {}

// Largest length a struct may declare: Yjs clocks are plain numbers, and lengths past 2^31
// exist only to inflate state vectors.
const MAX_LENGTH = 2 ** 31

const BIT6 = 32
const BIT7 = 64
const BIT8 = 128
const BITS5 = 31

/** Check a v1 update against `limits` without applying it. */
export function checkUpdate(update: Uint8Array, limits: UpdateLimits = defaultUpdateLimits): UpdateCheck {
  const walker = new Walker(update, limits)
  try {
    walker.structs()
    walker.deleteSet()
    if (walker.decoder.pos !== update.length) throw new Refused(`${update.length - walker.decoder.pos} trailing bytes`)
  } catch (error) {
    if (error instanceof Refused) return { ok: false, reason: error.message }
    return { ok: false, reason: 'update is malformed' }
  }
  return { ok: true, structs: walker.structCount }
}

class Walker {
  readonly decoder: decoding.Decoder
  structCount = 0
  private conflictWork = 0
  // Items per (parent, origin) position in this update, and which clients wrote them.
  private readonly positions = new Map<string, { count: number; client: number; many: boolean }>()

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: UpdateLimits
  ) {
    this.decoder = decoding.createDecoder(bytes)
  }

  private remaining(): number {
    return this.bytes.length - this.decoder.pos
  }

  private uint(): number {
    if (this.remaining() <= 0) throw new Refused('update ends early')
    return decoding.readVarUint(this.decoder)
  }

  private byte(): number {
    if (this.remaining() <= 0) throw new Refused('update ends early')
    return decoding.readUint8(this.decoder)
  }

  // A count of elements that each take at least one byte cannot exceed the bytes left.
  private count(what: string): number {
    const n = this.uint()
    if (n > this.remaining()) throw new Refused(`${what} count ${n} exceeds the bytes present`)
    return n
  }

  // Yjs never writes an empty struct or range, and its searches by clock assume there is none.
  private length(what: string): number {
    const n = this.uint()
    if (n > MAX_LENGTH) throw new Refused(`${what} length ${n} is too large`)
    if (n === 0) throw new Refused(`${what} length is zero`)
    return n
  }

  // Adds `length` to `clock`, refusing a result past the bound (both operands are bounded, so the sum is exact).
  private advance(clock: number, length: number, what: string): number {
    const end = clock + length
    if (end > this.limits.maxClock) throw new Refused(`${what} reaches clock ${end}, past the limit of ${this.limits.maxClock}`)
    return end
  }

  // An ID another struct refers to: it names a struct that exists, so its clock is within the bound.
  // Yjs checks that a reference to another client is integrated before it follows it, but trusts one
  // to the item's own client to be earlier in its history: refuse one that is not.
  private reference(client: number, clock: number, what: string): string {
    const target = this.uint()
    const at = this.uint()
    if (at >= this.limits.maxClock) throw new Refused(`${what} refers to clock ${at}, past the limit of ${this.limits.maxClock}`)
    if (target === client && at >= clock) throw new Refused(`${what} refers to clock ${at} of its own client, not before the item at ${clock}`)
    return `${target}:${at}`
  }

  private skipBytes(what: string): void {
    const n = this.uint()
    if (n > this.remaining()) throw new Refused(`${what} declares ${n} bytes but ${this.remaining()} remain`)
    this.decoder.pos += n
  }

  private string(what: string): string {
    const n = this.uint()
    if (n > this.remaining()) throw new Refused(`${what} declares ${n} bytes but ${this.remaining()} remain`)
    const start = this.decoder.pos
    this.decoder.pos += n
    return n <= 256 ? new TextDecoder().decode(this.bytes.subarray(start, start + n)) : ''
  }

  // A string item's length is its UTF-16 code units: one per UTF-8 sequence, two for a 4-byte one.
  // (Invalid UTF-8 is refused by the decoding that follows this walk.)
  private utf16Length(what: string): number {
    const n = this.uint()
    if (n > this.remaining()) throw new Refused(`${what} declares ${n} bytes but ${this.remaining()} remain`)
    let units = 0
    for (let i = this.decoder.pos, end = this.decoder.pos + n; i < end; i++) {
      const byte = this.bytes[i] as number
      if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1
    }
    this.decoder.pos += n
    if (units === 0) throw new Refused(`${what} is empty`)
    return units
  }

  structs(): void {
    const clients = this.count('client')
    for (let c = 0; c < clients; c++) {
      const structs = this.count('struct')
      this.structCount += structs
      if (this.structCount > this.limits.maxStructs) throw new Refused(`more than ${this.limits.maxStructs} structs in one update`)
      const client = this.uint()
      let clock = this.uint()
      if (clock > this.limits.maxClock) throw new Refused(`first clock ${clock} is past the limit of ${this.limits.maxClock}`)
      for (let s = 0; s < structs; s++) clock = this.advance(clock, this.struct(client, clock), 'struct')
    }
  }

  // Walks one struct at `clock` and returns its length.
  private struct(client: number, clock: number): number {
    const info = this.byte()
    const kind = info & BITS5
    if (kind === 0) return this.length('GC')
    if (kind === 10) return this.length('skip')
    const origin = info & BIT8 ? this.reference(client, clock, 'origin') : 'null'
    if (info & BIT7) this.reference(client, clock, 'right origin')
    let parent = ''
    if ((info & (BIT7 | BIT8)) === 0) {
      const named = this.uint() === 1
      parent = named ? `n:${this.string('parent name')}` : `i:${this.reference(client, clock, 'parent')}`
      if (info & BIT6) parent += `/${this.string('parent key')}`
    }
    const length = this.content(kind)
    // Items sharing a left origin are concurrent inserts at one position only if the origin is
    // shared across clients; Yjs orders each against the others there.
    const key = `${parent}|${origin}`
    const position = this.positions.get(key)
    if (!position) {
      this.positions.set(key, { count: 1, client, many: false })
      return length
    }
    position.count++
    if (position.client !== client) position.many = true
    if (position.many) {
      this.conflictWork += position.count
      if (this.conflictWork > this.limits.maxConflictWork) throw new Refused('too many concurrent inserts at one position')
    }
    return length
  }

  // Walks an item's content and returns its length, as Yjs counts it.
  private content(kind: number): number {
    switch (kind) {
      case 1: // deleted
        return this.length('deleted content')
      case 2: {
        // JSON: len × string
        const n = this.count('JSON value')
        if (n === 0) throw new Refused('JSON content is empty')
        for (let i = 0; i < n; i++) this.skipBytes('JSON value')
        return n
      }
      case 3: // binary
        this.skipBytes('binary content')
        return 1
      case 4: // string
        return this.utf16Length('string content')
      case 5: // embed (JSON string)
        this.skipBytes('embed')
        return 1
      case 6: // format: key, JSON value
        this.skipBytes('format key')
        this.skipBytes('format value')
        return 1
      case 7: {
        // type: ref, and a name for XmlElement (3) and XmlHook (5)
        const ref = this.uint()
        if (ref > 6) throw new Refused(`unknown type ref ${ref}`)
        if (ref === 3 || ref === 5) this.skipBytes('type name')
        return 1
      }
      case 8: {
        const n = this.count('any value')
        if (n === 0) throw new Refused('any content is empty')
        for (let i = 0; i < n; i++) this.any(0)
        return n
      }
      case 9:
        throw new Refused('subdocuments are not supported')
      default:
        throw new Refused(`unknown content type ${kind}`)
    }
  }

  // lib0's readAny, walked without building values; depth is bounded to keep the stack small.
  private any(depth: number): void {
    if (depth > 64) throw new Refused('value nested too deeply')
    const type = this.byte()
    switch (type) {
      case 127: // undefined
      case 126: // null
      case 121: // false
      case 120: // true
        return
      case 125: // varInt
        return void this.uint()
      case 124: // float32
        return this.skip(4)
      case 123: // float64
      case 122: // bigint64
        return this.skip(8)
      case 119: // string
        return this.skipBytes('string value')
      case 118: {
        // object: count × (key, value)
        const n = this.count('object entry')
        for (let i = 0; i < n; i++) {
          this.skipBytes('object key')
          this.any(depth + 1)
        }
        return
      }
      case 117: {
        const n = this.count('array element')
        for (let i = 0; i < n; i++) this.any(depth + 1)
        return
      }
      case 116: // Uint8Array
        return this.skipBytes('binary value')
      default:
        throw new Refused(`unknown value type ${type}`)
    }
  }

  private skip(n: number): void {
    if (n > this.remaining()) throw new Refused('update ends early')
    this.decoder.pos += n
  }

  deleteSet(): void {
    const clients = this.count('delete-set client')
    let ranges = 0
    for (let c = 0; c < clients; c++) {
      this.uint() // client
      const n = this.count('delete range')
      ranges += n
      if (ranges > this.limits.maxDeleteRanges) throw new Refused(`more than ${this.limits.maxDeleteRanges} delete ranges in one update`)
      for (let i = 0; i < n; i++) {
        const clock = this.uint()
        this.advance(clock, this.length('delete range'), 'delete range')
      }
    }
  }
}
