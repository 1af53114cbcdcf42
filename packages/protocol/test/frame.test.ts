/**
 * The frame codec (PROTOCOL.md F1–F10): round trips for every frame type, the exact byte layouts,
 * strict decoding of untrusted bytes, and compatibility with the frames y-protocols and
 * y-websocket write themselves. Property tests use fixed seeds; fast-check prints the seed and
 * the counterexample path when one fails.
 */
import fc from 'fast-check'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as authProtocol from 'y-protocols/auth'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import {
  AuthType,
  CloseCode,
  type Frame,
  type HistoryVersion,
  MessageType,
  ProtocolError,
  readFrame,
  readHistoryEvent,
  SyncType,
  writeFrame,
  writeHistoryEvent
} from '../src/index.js'

const SEED = 20240611
const runs = { seed: SEED, numRuns: 300 }

const bytes = fc.uint8Array({ maxLength: 300 })
const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  bytes.map((stateVector) => ({ type: 'sync-step1' as const, stateVector })),
  bytes.map((update) => ({ type: 'sync-step2' as const, update })),
  bytes.map((update) => ({ type: 'sync-update' as const, update })),
  bytes.map((update) => ({ type: 'awareness' as const, update })),
  fc.constant({ type: 'query-awareness' as const }),
  fc.string({ unit: 'binary', maxLength: 80 }).map((reason) => ({ type: 'permission-denied' as const, reason })),
  fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })).map((index) => ({ type: 'ack' as const, index })),
  fc.string({ maxLength: 80 }).map((json) => ({ type: 'history' as const, json }))
)

const u8 = (...values: number[]) => new Uint8Array(values)

/** readFrame must refuse `input` with a ProtocolError that closes the connection with 4400. */
function expectMalformed(input: Uint8Array, message?: RegExp): void {
  let caught: unknown
  try {
    readFrame(input)
  } catch (error) {
    caught = error
  }
  expect(caught, `bytes [${[...input].join(',')}] should be refused`).toBeInstanceOf(ProtocolError)
  expect((caught as ProtocolError).closeCode).toBe(CloseCode.MalformedMessage)
  if (message) expect((caught as ProtocolError).message).toMatch(message)
}

/** Frame bytes the way y-websocket builds them: a message type, then a y-protocols body. */
function wrap(messageType: number, body: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, messageType)
  body(encoder)
  return encoding.toUint8Array(encoder)
}

describe('round trips', () => {
  it('F1–F10: readFrame(writeFrame(frame)) is the frame, for every frame type (property)', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        expect(readFrame(writeFrame(frame))).toEqual(frame)
      }),
      runs
    )
  })

  it('F1–F10: writeFrame(readFrame(bytes)) is the bytes, for canonical frames (property)', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const wire = writeFrame(frame)
        expect([...writeFrame(readFrame(wire))]).toEqual([...wire])
      }),
      runs
    )
  })

  it('F1: the message type numbers are the y-websocket ones, plus 100 and 101 for the ack and history extensions', () => {
    expect(MessageType).toEqual({ Sync: 0, Awareness: 1, Auth: 2, QueryAwareness: 3, Ack: 100, History: 101 })
    expect(SyncType).toEqual({ Step1: 0, Step2: 1, Update: 2 })
    expect(AuthType).toEqual({ PermissionDenied: 0 })
  })
})

describe('byte layouts', () => {
  it('F2: sync frames are [0, subtype, varUint length, payload]', () => {
    expect([...writeFrame({ type: 'sync-step1', stateVector: u8(7, 8) })]).toEqual([0, 0, 2, 7, 8])
    expect([...writeFrame({ type: 'sync-step2', update: u8(9) })]).toEqual([0, 1, 1, 9])
    expect([...writeFrame({ type: 'sync-update', update: u8() })]).toEqual([0, 2, 0])
  })

  it('F2: payload lengths are lib0 varUints (7 bits a byte, low bits first, high bit = more)', () => {
    const wire = writeFrame({ type: 'sync-update', update: new Uint8Array(200) })
    expect([...wire.subarray(0, 4)]).toEqual([0, 2, 0xc8, 0x01])
    expect(wire.length).toBe(4 + 200)
    const big = writeFrame({ type: 'sync-update', update: new Uint8Array(16384) })
    expect([...big.subarray(0, 5)]).toEqual([0, 2, 0x80, 0x80, 0x01])
  })

  it('F3: an awareness frame is [1, varUint length, awareness update]', () => {
    expect([...writeFrame({ type: 'awareness', update: u8(1, 2, 3) })]).toEqual([1, 3, 1, 2, 3])
  })

  it('F4: a query-awareness frame is the single byte [3]', () => {
    expect([...writeFrame({ type: 'query-awareness' })]).toEqual([3])
    expect(readFrame(u8(3))).toEqual({ type: 'query-awareness' })
  })

  it('F6: a permission-denied frame is [2, 0, varString reason] with the reason in UTF-8', () => {
    expect([...writeFrame({ type: 'permission-denied', reason: 'no' })]).toEqual([2, 0, 2, 0x6e, 0x6f])
    expect([...writeFrame({ type: 'permission-denied', reason: 'é' })]).toEqual([2, 0, 2, 0xc3, 0xa9])
  })

  it('F8: an ack frame is [100, varUint index]', () => {
    expect([...writeFrame({ type: 'ack', index: 1 })]).toEqual([100, 1])
    expect([...writeFrame({ type: 'ack', index: 300 })]).toEqual([100, 0xac, 0x02])
  })
})

describe('strict decoding', () => {
  it('F7: every error is a ProtocolError closing with 4400 (MalformedMessage)', () => {
    expectMalformed(u8(42))
    expect(new ProtocolError('x').closeCode).toBe(4400)
  })

  it('F7: rejects an empty message', () => {
    expectMalformed(u8(), /ends before the message type/)
  })

  it('F7: rejects every truncation of every frame type, at every byte (property)', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const wire = writeFrame(frame)
        for (let cut = 0; cut < wire.length; cut++) expectMalformed(wire.slice(0, cut))
      }),
      { ...runs, numRuns: 150 }
    )
  })

  it('F7: rejects trailing bytes after every frame type (property)', () => {
    fc.assert(
      fc.property(frameArb, fc.uint8Array({ minLength: 1, maxLength: 20 }), (frame, extra) => {
        const wire = writeFrame(frame)
        const longer = new Uint8Array(wire.length + extra.length)
        longer.set(wire)
        longer.set(extra, wire.length)
        expectMalformed(longer, /trailing bytes/)
      }),
      runs
    )
  })

  it('F7: rejects trailing bytes after a query-awareness frame', () => {
    expectMalformed(u8(3, 0), /1 trailing bytes after a query-awareness frame/)
  })

  it('F7: rejects every unknown one-byte and some multi-byte message types', () => {
    const known = new Set<number>(Object.values(MessageType))
    for (let type = 0; type < 128; type++) {
      if (!known.has(type)) expectMalformed(u8(type, 0, 0), new RegExp(`unknown message type ${type}\\b`))
    }
    expectMalformed(u8(0x80, 0x01), /unknown message type 128/)
  })

  it('F7: rejects unknown sync subtypes', () => {
    for (const subtype of [3, 4, 127, 128, 100_000]) {
      const wire = wrap(MessageType.Sync, (e) => {
        encoding.writeVarUint(e, subtype)
        encoding.writeVarUint8Array(e, u8(1))
      })
      expectMalformed(wire, new RegExp(`unknown sync message type ${subtype}`))
    }
  })

  it('F7: rejects unknown auth subtypes', () => {
    expectMalformed(u8(2, 1, 0), /unknown auth message type 1/)
    expectMalformed(u8(2, 7), /unknown auth message type 7/)
  })

  it('F7: rejects a declared length past the end of the frame', () => {
    expectMalformed(u8(0, 2, 5, 1, 2), /declares 5 bytes but 2 remain/)
    expectMalformed(u8(1, 1), /declares 1 bytes but 0 remain/)
    expectMalformed(u8(2, 0, 9, 0x61), /declares 9 bytes but 1 remain/)
  })

  it('F7: rejects a huge declared length without allocating it', () => {
    // 2^42 bytes declared, none present.
    const wire = wrap(MessageType.Sync, (e) => {
      encoding.writeVarUint(e, SyncType.Update)
      encoding.writeVarUint(e, 2 ** 42)
    })
    expectMalformed(wire, /declares 4398046511104 bytes/)
  })

  it('F7: rejects varUints that overflow a safe integer or never end', () => {
    expectMalformed(new Uint8Array(12).fill(0xff), /bad varUint for the message type/)
    expectMalformed(u8(0, 0xff, 0xff), /bad varUint for the sync message type/)
    expectMalformed(u8(100, 0x80), /bad varUint for the ack index/)
  })

  it('F7: accepts varUints up to 2^53 − 1 and rejects larger ones, even when their last byte ends them', () => {
    const largest = writeFrame({ type: 'ack', index: Number.MAX_SAFE_INTEGER })
    expect([...largest]).toEqual([100, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])
    expect(readFrame(largest)).toEqual({ type: 'ack', index: Number.MAX_SAFE_INTEGER })
    // 2^53 exactly, and about 2^56: lib0 returns both (imprecise) without complaint.
    expectMalformed(u8(100, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10), /varUint/)
    expectMalformed(u8(100, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), /varUint/)
  })

  it('F7: a frame that is a view into a larger buffer is read only within the view', () => {
    // lib0 alone would read the 5 declared bytes from the backing buffer beyond the view.
    const backing = u8(0, 2, 5, 1, 2, 9, 9, 9, 9, 9)
    expectMalformed(backing.subarray(0, 5), /declares 5 bytes but 2 remain/)
    const offset = u8(7, 7, 7, 1, 4, 1, 2, 3, 4, 8, 8)
    expect(readFrame(offset.subarray(3, 9))).toEqual({ type: 'awareness', update: u8(1, 2, 3, 4) })
    expectMalformed(offset.subarray(3, 8))
  })

  it('F7: decoded payloads lie inside the view they were read from, for random surroundings (property)', () => {
    fc.assert(
      fc.property(frameArb, bytes, bytes, (frame, before, after) => {
        const wire = writeFrame(frame)
        const backing = new Uint8Array(before.length + wire.length + after.length)
        backing.set(before)
        backing.set(wire, before.length)
        backing.set(after, before.length + wire.length)
        const view = backing.subarray(before.length, before.length + wire.length)
        const decoded = readFrame(view)
        expect(decoded).toEqual(frame)
        const payload = 'update' in decoded ? decoded.update : 'stateVector' in decoded ? decoded.stateVector : undefined
        if (payload) {
          expect(payload.byteOffset).toBeGreaterThanOrEqual(view.byteOffset)
          expect(payload.byteOffset + payload.length).toBeLessThanOrEqual(view.byteOffset + view.length)
        }
        // Cutting the view short must fail, whatever bytes follow it in the backing buffer.
        if (wire.length > 1) expectMalformed(backing.subarray(before.length, before.length + wire.length - 1))
      }),
      runs
    )
  })

  it('F6/F7: rejects a permission-denied reason that is not valid UTF-8', () => {
    for (const bad of [[0xc3, 0x28], [0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      expectMalformed(u8(2, 0, bad.length, ...bad), /not valid UTF-8/)
    }
  })

  it('F7: random bytes either decode to a frame or throw a ProtocolError, nothing else (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        let frame: Frame
        try {
          frame = readFrame(input)
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError)
          return
        }
        // Whatever decoded re-encodes to a frame that decodes the same.
        expect(readFrame(writeFrame(frame))).toEqual(frame)
      }),
      { seed: SEED, numRuns: 2000 }
    )
  })

  it('F7: random bytes after a valid message type byte are refused or decoded, never misread (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2, 3, 100), fc.uint8Array({ maxLength: 40 }), (type, rest) => {
        const input = new Uint8Array([type, ...rest])
        try {
          const frame = readFrame(input)
          // A frame that decodes uses every byte: re-encoding it has the same length when the
          // input's varUints were minimal (lib0 writers always write minimal ones).
          expect(writeFrame(frame).length).toBeLessThanOrEqual(input.length)
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError)
        }
      }),
      { seed: SEED, numRuns: 2000 }
    )
  })
})

describe('stock y-protocols / y-websocket compatibility', () => {
  function docWith(text: string, clientID: number): Y.Doc {
    const doc = new Y.Doc()
    doc.clientID = clientID
    doc.getText('codemirror').insert(0, text)
    return doc
  }

  it('F2: a sync step 1 written by y-protocols writeSyncStep1 decodes to the state vector', () => {
    const doc = docWith('hello', 11)
    const wire = wrap(MessageType.Sync, (e) => syncProtocol.writeSyncStep1(e, doc))
    const frame = readFrame(wire)
    expect(frame).toEqual({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) })
    expect([...writeFrame(frame)]).toEqual([...wire])
  })

  it('F2: a sync step 2 written by y-protocols writeSyncStep2 decodes to an update with the text', () => {
    const doc = docWith('hello world', 12)
    const wire = wrap(MessageType.Sync, (e) => syncProtocol.writeSyncStep2(e, doc, Y.encodeStateVector(new Y.Doc())))
    const frame = readFrame(wire)
    expect(frame.type).toBe('sync-step2')
    const fresh = new Y.Doc()
    Y.applyUpdate(fresh, (frame as { update: Uint8Array }).update)
    expect(fresh.getText('codemirror').toString()).toBe('hello world')
    expect([...writeFrame(frame)]).toEqual([...wire])
  })

  it('F2: updates written by y-protocols writeUpdate decode byte-identically, for random edits (property)', () => {
    const edit = fc.record({ pos: fc.nat(), del: fc.nat({ max: 5 }), ins: fc.string({ unit: 'binary', maxLength: 10 }) })
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 20 }), (edits) => {
        const doc = new Y.Doc()
        doc.clientID = 99
        const text = doc.getText('codemirror')
        const mirror = new Y.Doc()
        doc.on('update', (update: Uint8Array) => {
          const wire = wrap(MessageType.Sync, (e) => syncProtocol.writeUpdate(e, update))
          const frame = readFrame(wire)
          expect(frame).toEqual({ type: 'sync-update', update })
          Y.applyUpdate(mirror, (frame as { update: Uint8Array }).update)
        })
        for (const { pos, del, ins } of edits) {
          const at = pos % (text.length + 1)
          text.delete(at, Math.min(del, text.length - at))
          text.insert(at, ins)
        }
        expect(mirror.getText('codemirror').toString()).toBe(text.toString())
      }),
      { seed: SEED, numRuns: 100 }
    )
  })

  it('F3: an awareness update encoded by y-protocols and wrapped as y-websocket does decodes and applies', () => {
    const doc = docWith('', 21)
    const awareness = new awarenessProtocol.Awareness(doc)
    awareness.setLocalState({ user: { name: 'Ada', color: '#f00' }, cursor: null })
    const wire = wrap(MessageType.Awareness, (e) => encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])))
    const frame = readFrame(wire)
    expect(frame.type).toBe('awareness')
    const other = new awarenessProtocol.Awareness(new Y.Doc())
    awarenessProtocol.applyAwarenessUpdate(other, (frame as { update: Uint8Array }).update, 'test')
    expect(other.getStates().get(21)).toEqual({ user: { name: 'Ada', color: '#f00' }, cursor: null })
    expect([...writeFrame(frame)]).toEqual([...wire])
    awareness.destroy()
    other.destroy()
  })

  it("F4: y-websocket's query-awareness message (just the type) decodes", () => {
    expect(readFrame(wrap(MessageType.QueryAwareness, () => {}))).toEqual({ type: 'query-awareness' })
  })

  it('F6: a permission-denied written by y-protocols/auth decodes, and ours reads back through y-protocols', () => {
    const wire = wrap(MessageType.Auth, (e) => authProtocol.writePermissionDenied(e, 'token expired ✋'))
    expect(readFrame(wire)).toEqual({ type: 'permission-denied', reason: 'token expired ✋' })
    const decoder = decoding.createDecoder(writeFrame({ type: 'permission-denied', reason: 'read only' }))
    expect(decoding.readVarUint(decoder)).toBe(MessageType.Auth)
    let seen: string | undefined
    authProtocol.readAuthMessage(decoder, new Y.Doc(), (_doc, reason) => (seen = reason))
    expect(seen).toBe('read only')
  })

  it('F2/F9: our sync frames drive y-protocols readSyncMessage as a stock client would', () => {
    const server = docWith('server text', 31)
    const client = new Y.Doc()
    // Server → client: our step 1; the client answers with a step 2 for what the server lacks.
    const step1 = decoding.createDecoder(writeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(server) }))
    expect(decoding.readVarUint(step1)).toBe(MessageType.Sync)
    const reply = encoding.createEncoder()
    expect(syncProtocol.readSyncMessage(step1, reply, client, 'server')).toBe(syncProtocol.messageYjsSyncStep1)
    const replyFrame = readFrame(wrap(MessageType.Sync, (e) => encoding.writeUint8Array(e, encoding.toUint8Array(reply))))
    expect(replyFrame.type).toBe('sync-step2')
    // Server → client: a step 2 and an update, as the server writes them.
    const step2 = decoding.createDecoder(writeFrame({ type: 'sync-step2', update: Y.encodeStateAsUpdate(server) }))
    decoding.readVarUint(step2)
    expect(syncProtocol.readSyncMessage(step2, encoding.createEncoder(), client, 'server')).toBe(syncProtocol.messageYjsSyncStep2)
    expect(client.getText('codemirror').toString()).toBe('server text')
    const before = Y.encodeStateVector(server)
    server.getText('codemirror').insert(0, '> ')
    const update = decoding.createDecoder(writeFrame({ type: 'sync-update', update: Y.encodeStateAsUpdate(server, before) }))
    decoding.readVarUint(update)
    expect(syncProtocol.readSyncMessage(update, encoding.createEncoder(), client, 'server')).toBe(syncProtocol.messageYjsUpdate)
    expect(client.getText('codemirror').toString()).toBe('> server text')
  })
})

describe('non-minimal varUints', () => {
  it('F7: lib0 accepts non-minimal varUint spellings, and so does readFrame (encoders write minimal ones)', () => {
    // 0x83 0x00 is 3 written in two bytes: query-awareness.
    expect(readFrame(u8(0x83, 0x00))).toEqual({ type: 'query-awareness' })
    expect([...writeFrame({ type: 'query-awareness' })]).toEqual([3])
    // 0xe4 0x00 is 100 in two bytes: an ack frame with no index is truncated.
    expectMalformed(u8(0xe4, 0x00), /ends before the ack index/)
  })
})

describe('history events', () => {
  const version: HistoryVersion = {
    id: '7',
    start: 1_700_000_000_000,
    end: 1_700_000_060_000,
    authors: [{ name: 'Ada', verified: true, color: '#30bced' }],
    added: 12,
    removed: 3,
    label: 'Sent to the editor',
    kind: 'edit'
  }

  it('F10: a history frame is [101, varString JSON], and its event reads back', () => {
    const json = writeHistoryEvent({ event: 'version', version })
    const wire = writeFrame({ type: 'history', json })
    expect(wire[0]).toBe(101)
    const frame = readFrame(wire)
    expect(frame).toEqual({ type: 'history', json })
    expect(readHistoryEvent((frame as { json: string }).json)).toEqual({ event: 'version', version })
  })

  it('F10: readHistoryEvent refuses anything that is not exactly an event, and drops unknown fields', () => {
    for (const bad of [
      '',
      'null',
      '[]',
      '{"event":"x"}',
      JSON.stringify({ event: 'restore', version: { ...version, start: -1 } }),
      JSON.stringify({ event: 'version', version: { ...version, kind: 'other' } }),
      JSON.stringify({ event: 'version', version: { ...version, authors: [{ name: 1 }] } })
    ]) {
      expect(() => readHistoryEvent(bad), bad).toThrow(ProtocolError)
    }
    expect(readHistoryEvent(JSON.stringify({ event: 'restore', version: { ...version, extra: 1 }, more: 2 }))).toEqual({ event: 'restore', version })
  })

  it('F7/F10: a history frame whose text is not UTF-8 is malformed', () => {
    expectMalformed(u8(101, 1, 0xff), /not valid UTF-8/)
  })
})
