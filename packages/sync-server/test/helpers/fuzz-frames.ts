/**
 * Seeded hostile frames for the fuzz suite: random bytes, truncations and bit flips of real
 * frames, well-formed frames around mutated real updates, awareness and state vectors, updates
 * whose clocks sit near the server's bound or near 2^53, and the known bad payloads.
 */
import { writeFrame } from '@quire/protocol'
import * as encoding from 'lib0/encoding'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import { defaultUpdateLimits } from '../../src/guard/update-check.js'
import { badPayloads, gcRun, textInsert } from './bad-payloads.js'

/** Real material to mutate. */
export interface Corpus {
  updates: Uint8Array[]
  awareness: Uint8Array[]
  stateVectors: Uint8Array[]
  frames: Uint8Array[]
}

/** Build a corpus from a few seeded edits, awareness states and state vectors. */
export function buildCorpus(random: () => number): Corpus {
  const doc = new Y.Doc()
  doc.clientID = 1 + Math.floor(random() * 2 ** 30)
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  const text = doc.getText('codemirror')
  for (let i = 0; i < 60; i++) {
    if (text.length > 4 && random() < 0.3) text.delete(Math.floor(random() * (text.length - 2)), 2)
    else text.insert(Math.floor(random() * (text.length + 1)), 'abc def '.slice(0, 1 + Math.floor(random() * 7)))
  }
  updates.push(Y.encodeStateAsUpdate(doc))
  const awareness = new awarenessProtocol.Awareness(doc)
  const awarenessUpdates: Uint8Array[] = []
  for (let i = 0; i < 10; i++) {
    awareness.setLocalState({ user: { name: `fuzz${i}`, color: '#30bced' }, cursor: { anchor: i, head: i + 2 } })
    awarenessUpdates.push(awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]))
  }
  awareness.destroy()
  const stateVectors = [Y.encodeStateVector(doc), Y.encodeStateVector(new Y.Doc())]
  const frames = [
    ...updates.map((update) => writeFrame({ type: 'sync-update', update })),
    ...awarenessUpdates.map((update) => writeFrame({ type: 'awareness', update })),
    ...stateVectors.map((stateVector) => writeFrame({ type: 'sync-step1', stateVector })),
    writeFrame({ type: 'query-awareness' })
  ]
  return { updates, awareness: awarenessUpdates, stateVectors, frames }
}

const pick = <T>(random: () => number, items: T[]): T => items[Math.floor(random() * items.length)]!

function randomBytes(random: () => number, max: number): Uint8Array {
  const out = new Uint8Array(Math.floor(random() * (max + 1)))
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256)
  return out
}

/** Flip, insert, delete or overwrite a few bytes. */
export function mutate(random: () => number, input: Uint8Array): Uint8Array {
  let bytes = [...input]
  const edits = 1 + Math.floor(random() * 3)
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (bytes.length + 1))
    const kind = random()
    if (kind < 0.4 && bytes.length > 0) bytes[Math.min(at, bytes.length - 1)]! ^= 1 << Math.floor(random() * 8)
    else if (kind < 0.6) bytes.splice(at, 0, Math.floor(random() * 256))
    else if (kind < 0.8 && bytes.length > 0) bytes.splice(Math.min(at, bytes.length - 1), 1)
    else if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = [0, 0x7f, 0x80, 0xff][Math.floor(random() * 4)]!
  }
  if (random() < 0.1) bytes = bytes.slice(0, Math.floor(random() * bytes.length))
  return new Uint8Array(bytes)
}

// Clocks on either side of the bound and of 2^53, and lengths that reach them.
const CLOCK_EDGES = [0, defaultUpdateLimits.maxClock, 2 ** 53]

function nearEdge(random: () => number): number {
  const edge = pick(random, CLOCK_EDGES)
  const offset = Math.floor(random() * 2 ** (1 + Math.floor(random() * 32)))
  return Math.max(0, random() < 0.5 ? edge - offset : edge + offset)
}

/** An update whose clocks (first clock, lengths, references, delete ranges) sit near a bound, for a few fixed clients. */
export function nearBoundUpdate(random: () => number): Uint8Array {
  const client = 7001 + Math.floor(random() * 4)
  const r = random()
  if (r < 0.4) {
    const lengths = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(random, [1, 2 ** 31, nearEdge(random) % 2 ** 31 || 1]))
    return gcRun(client, random() < 0.3 ? 0 : nearEdge(random), lengths)
  }
  if (r < 0.8) {
    const origin = random() < 0.5 ? undefined : { client: 7001 + Math.floor(random() * 4), clock: nearEdge(random) }
    return textInsert(client, random() < 0.3 ? 0 : nearEdge(random), 'ab😀', origin)
  }
  const clock = nearEdge(random)
  return writeDeleteRange(client, clock, 1 + (nearEdge(random) % 2 ** 31))
}

function writeDeleteRange(client: number, clock: number, length: number): Uint8Array {
  const e = encoding.createEncoder()
  ;[0, 1, client, 1, clock, length].forEach((n) => encoding.writeVarUint(e, n))
  return encoding.toUint8Array(e)
}

/** One hostile frame. */
export function fuzzFrame(random: () => number, corpus: Corpus): Uint8Array {
  const r = random()
  if (r < 0.04) {
    const update = nearBoundUpdate(random)
    return writeFrame({ type: 'sync-update', update: random() < 0.3 ? mutate(random, update) : update })
  }
  if (r < 0.1) return randomBytes(random, 48)
  if (r < 0.2) {
    const frame = pick(random, corpus.frames)
    return frame.subarray(0, Math.floor(random() * frame.length))
  }
  if (r < 0.35) return mutate(random, pick(random, corpus.frames))
  if (r < 0.6) return writeFrame({ type: random() < 0.5 ? 'sync-update' : 'sync-step2', update: mutate(random, pick(random, corpus.updates)) })
  if (r < 0.8) return writeFrame({ type: 'awareness', update: mutate(random, pick(random, corpus.awareness)) })
  if (r < 0.87) return writeFrame({ type: 'sync-step1', stateVector: mutate(random, pick(random, corpus.stateVectors)) })
  if (r < 0.97) return pick(random, corpus.frames)
  return writeFrame({ type: 'sync-update', update: pick(random, badPayloads).update })
}
