/**
 * A bounded pre-check of untrusted Yjs updates (v1 encoding), run before `Y.applyUpdate`.
 *
 * Yjs trusts what an update declares: counts, lengths, parents. A crafted update can make it
 * allocate or loop far beyond its size, or integrate many concurrent items at one position,
 * which costs time quadratic in their number. This walk reads every field the way Yjs will,
 * in time linear in the bytes, allocating nothing per declared element, and refuses an update
 * that is malformed or that goes past a limit. Only an update that passes is applied.
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
}

/** Defaults that pass the initial sync of a large real document (100k-edit histories). */
export const defaultUpdateLimits: UpdateLimits = {
  maxStructs: 200_000,
  maxDeleteRanges: 200_000,
  maxConflictWork: 2_000_000
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

  private length(what: string): number {
    const n = this.uint()
    if (n > MAX_LENGTH) throw new Refused(`${what} length ${n} is too large`)
    return n
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

  structs(): void {
    const clients = this.count('client')
    for (let c = 0; c < clients; c++) {
      const structs = this.count('struct')
      this.structCount += structs
      if (this.structCount > this.limits.maxStructs) throw new Refused(`more than ${this.limits.maxStructs} structs in one update`)
      const client = this.uint()
      this.uint() // first clock
      for (let s = 0; s < structs; s++) this.struct(client)
    }
  }

  private struct(client: number): void {
    const info = this.byte()
    const kind = info & BITS5
    if (kind === 0) return void this.length('GC')
    if (kind === 10) return void this.length('skip')
    let origin = 'null'
    if (info & BIT8) origin = `${this.uint()}:${this.uint()}`
    if (info & BIT7) {
      this.uint()
      this.uint()
    }
    let parent = ''
    if ((info & (BIT7 | BIT8)) === 0) {
      const named = this.uint() === 1
      parent = named ? `n:${this.string('parent name')}` : `i:${this.uint()}:${this.uint()}`
      if (info & BIT6) parent += `/${this.string('parent key')}`
    }
    this.content(kind)
    // Items sharing a left origin are concurrent inserts at one position only if the origin is
    // shared across clients; Yjs orders each against the others there.
    const key = `${parent}|${origin}`
    const position = this.positions.get(key)
    if (!position) {
      this.positions.set(key, { count: 1, client, many: false })
      return
    }
    position.count++
    if (position.client !== client) position.many = true
    if (position.many) {
      this.conflictWork += position.count
      if (this.conflictWork > this.limits.maxConflictWork) throw new Refused('too many concurrent inserts at one position')
    }
  }

  private content(kind: number): void {
    switch (kind) {
      case 1: // deleted
        return void this.length('deleted content')
      case 2: {
        // JSON: len × string
        const n = this.count('JSON value')
        for (let i = 0; i < n; i++) this.skipBytes('JSON value')
        return
      }
      case 3: // binary
        return this.skipBytes('binary content')
      case 4: // string
        return this.skipBytes('string content')
      case 5: // embed (JSON string)
        return this.skipBytes('embed')
      case 6: // format: key, JSON value
        this.skipBytes('format key')
        return this.skipBytes('format value')
      case 7: {
        // type: ref, and a name for XmlElement (3) and XmlHook (5)
        const ref = this.uint()
        if (ref > 6) throw new Refused(`unknown type ref ${ref}`)
        if (ref === 3 || ref === 5) this.skipBytes('type name')
        return
      }
      case 8: {
        const n = this.count('any value')
        for (let i = 0; i < n; i++) this.any(0)
        return
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
        this.uint() // clock
        this.length('delete range')
      }
    }
  }
}
