/**
 * Known hostile Yjs payloads, each named after where it comes from. Pinned here so that every
 * one stays a regression test: the fuzz suite sends them all in every run.
 */
import * as encoding from 'lib0/encoding'

/** A named hostile update (v1) for a sync-update frame. */
export interface BadPayload {
  name: string
  update: Uint8Array
}

/** An update of `perClient` one-character inserts per client, all at the start of the text (origin and right origin null). */
export function sameSpotInserts(clients: number, perClient: number, firstClient: number): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, clients)
  for (let c = 0; c < clients; c++) {
    encoding.writeVarUint(e, perClient)
    encoding.writeVarUint(e, firstClient + c)
    encoding.writeVarUint(e, 0)
    for (let i = 0; i < perClient; i++) {
      encoding.writeUint8(e, 4) // string content, no origins: parent info follows
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, 'codemirror')
      encoding.writeVarString(e, 'x')
    }
  }
  encoding.writeVarUint(e, 0)
  return encoding.toUint8Array(e)
}

/** An update of GC structs (collected ranges) for `client` from `firstClock`, one per length: each claims `length` clocks in a few bytes. */
export function gcRun(client: number, firstClock: number, lengths: number[]): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint(e, lengths.length)
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, firstClock)
  for (const length of lengths) {
    encoding.writeUint8(e, 0)
    encoding.writeVarUint(e, length)
  }
  encoding.writeVarUint(e, 0)
  return encoding.toUint8Array(e)
}

/** An update inserting `text` as `client` at `clock`: after `origin` if given, else at the start of the text. */
export function textInsert(client: number, clock: number, text: string, origin?: { client: number; clock: number }): Uint8Array {
  const e = encoding.createEncoder()
  ;[1, 1, client, clock].forEach((n) => encoding.writeVarUint(e, n))
  if (origin) {
    encoding.writeUint8(e, 4 | 128)
    encoding.writeVarUint(e, origin.client)
    encoding.writeVarUint(e, origin.clock)
  } else {
    encoding.writeUint8(e, 4)
    encoding.writeVarUint(e, 1)
    encoding.writeVarString(e, 'codemirror')
  }
  encoding.writeVarString(e, text)
  encoding.writeVarUint(e, 0)
  return encoding.toUint8Array(e)
}

function bytes(build: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder()
  build(e)
  return encoding.toUint8Array(e)
}

/** Payloads that hung, crashed or flooded Yjs servers, or ours. */
export const badPayloads: BadPayload[] = [
  // yjs#479: base64 "garbagedoc" made applyUpdate loop forever in older lib0.
  { name: 'yjs#479 garbagedoc', update: new Uint8Array(Buffer.from('garbagedoc', 'base64')) },
  // yjs#498: an empty update looped forever in readVarUint.
  { name: 'yjs#498 empty update', update: new Uint8Array(0) },
  // yjs#687 (v1 form): a struct count far beyond the bytes present.
  { name: 'yjs#687 declared struct count 2^40', update: bytes((e) => [1, 2 ** 40, 1, 0].forEach((n) => encoding.writeVarUint(e, n))) },
  { name: 'yjs#687 declared client count 2^40', update: bytes((e) => encoding.writeVarUint(e, 2 ** 40)) },
  // A GC struct claiming 2^52 clocks: inflates state vectors for ever after.
  {
    name: 'GC length 2^52',
    update: bytes((e) => {
      ;[1, 1, 77, 0].forEach((n) => encoding.writeVarUint(e, n))
      encoding.writeUint8(e, 0)
      encoding.writeVarUint(e, 2 ** 52)
      encoding.writeVarUint(e, 0)
    })
  },
  // Delete set with 2^40 ranges declared.
  { name: 'delete set of 2^40 ranges', update: bytes((e) => [0, 1, 5, 2 ** 40].forEach((n) => encoding.writeVarUint(e, n))) },
  // ContentAny nested 100,000 deep: stack exhaustion while decoding.
  {
    name: 'ContentAny nested 100k deep',
    update: bytes((e) => {
      ;[1, 1, 78, 0].forEach((n) => encoding.writeVarUint(e, n))
      encoding.writeUint8(e, 8)
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, 'codemirror')
      encoding.writeVarUint(e, 1)
      for (let i = 0; i < 100_000; i++) {
        encoding.writeUint8(e, 117)
        encoding.writeVarUint(e, 1)
      }
      encoding.writeUint8(e, 126)
      encoding.writeVarUint(e, 0)
    })
  },
  // A subdocument: the server would create a Y.Doc per item.
  {
    name: 'subdocument content',
    update: bytes((e) => {
      ;[1, 1, 79, 0].forEach((n) => encoding.writeVarUint(e, n))
      encoding.writeUint8(e, 9)
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, 'codemirror')
      encoding.writeVarString(e, 'guid')
      encoding.writeUint8(e, 118)
      encoding.writeVarUint(e, 0)
      encoding.writeVarUint(e, 0)
    })
  },
  // Found by our fuzzing: a parent name with invalid UTF-8 crashed the process (decodeUpdate threw outside the guard).
  {
    name: 'regression: invalid UTF-8 parent name',
    update: new Uint8Array([
      1, 1, 248, 247, 43, 0, 4, 1, 10, 99, 111, 100, 101, 109, 188, 114, 114, 111, 114, 10, 102, 117, 122, 122, 32, 52, 53, 51, 53, 57, 0
    ])
  },
  // Found by our fuzzing: a real update cut before its delete set; Yjs integrated the text, then threw.
  {
    name: 'regression: update truncated before its delete set',
    update: sameSpotInserts(1, 3, 4242).subarray(0, sameSpotInserts(1, 3, 4242).length - 1)
  },
  // Security finding: a clock near 2^53, where floating point cannot tell neighbouring clocks apart; the
  // finding got there with 21 updates of GC structs, after which the document could not be read.
  { name: 'security: insert at clock 2^53 - 5', update: textInsert(4243, 2 ** 53 - 5, 'xyz') },
  { name: 'security: GC structs ending past 2^48', update: gcRun(4244, 2 ** 48 - 2 ** 31, [2 ** 31, 1]) },
  {
    name: 'security: delete range ending past 2^53',
    update: bytes((e) => [0, 1, 4245, 2 ** 53 - 10, 20].forEach((n) => encoding.writeVarUint(e, n)))
  },
  // Found by our fuzzing: Yjs integrates client 20's "X", then throws on client 9's item, whose origin
  // is ahead of it in its own history (Yjs checks such references only across clients).
  {
    name: 'regression: origin ahead in its own history (Yjs threw after integrating part)',
    update: bytes((e) => {
      ;[2, 1, 20, 0].forEach((n) => encoding.writeVarUint(e, n))
      encoding.writeUint8(e, 4)
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, 'codemirror')
      encoding.writeVarString(e, 'X')
      ;[1, 9, 0].forEach((n) => encoding.writeVarUint(e, n))
      encoding.writeUint8(e, 4 | 128)
      ;[9, 68].forEach((n) => encoding.writeVarUint(e, n))
      encoding.writeVarString(e, 'Y')
      encoding.writeVarUint(e, 0)
    })
  },
  // Found by our fuzzing: an empty delete range; Yjs integrated the text, then threw encoding what waits.
  {
    name: 'regression: empty delete range (Yjs threw after integrating part)',
    update: bytes((e) => {
      ;[1, 1, 20, 0].forEach((n) => encoding.writeVarUint(e, n))
      encoding.writeUint8(e, 4)
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, 'codemirror')
      encoding.writeVarString(e, 'X')
      ;[1, 21, 1, 19, 0].forEach((n) => encoding.writeVarUint(e, n))
    })
  }
]
