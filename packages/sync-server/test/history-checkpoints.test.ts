/**
 * Checkpoints placed by replay cost (SPEC.md HS12): however many versions a document has, opening
 * one applies a bounded chain of checkpoints and then a bounded replay, within the storage budget;
 * retention keeps that so; what was stored before the rule still opens. Seeded random edits; a
 * failure prints its seed (QUIRE_SEED replays it). No timings: those are the benchmark's.
 */
import { deflateRawSync } from 'node:zlib'
import { rng, withSeed } from '@quire/testkit'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CHECKPOINT_BUDGET, encodeVersion, noCheckpoint, replayBound, versionCost } from '../src/history/checkpoints.js'
import { cutVersion, EMPTY_BASE, encodeDeleteRanges, type VersionBase } from '../src/history/delta.js'
import { applyRetention } from '../src/history/retention.js'
import { HistoryReader } from '../src/history/versions.js'
import { readHeadRecord, readVersionRecord, type VersionRecord, writeHeadRecord, writeVersionRecord } from '../src/storage/history-records.js'
import { MemoryStore } from '../src/storage/memory.js'

const LETTERS = 'abcdefghijklmnopqrstuvwxyz ,.'

// Text that deflates about as badly as prose does, so checkpoints cost what they would.
function words(random: () => number, length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += LETTERS[Math.floor(random() * LETTERS.length)]
  return out
}

// A few keystrokes' worth: mostly typing, sometimes deleting.
function smallEdit(text: Y.Text, random: () => number): void {
  const length = text.length
  if (length > 0 && random() < 0.3) {
    const at = Math.floor(random() * length)
    text.delete(at, Math.min(length - at, 1 + Math.floor(random() * 30)))
  } else text.insert(Math.floor(random() * (length + 1)), words(random, 5 + Math.floor(random() * 60)))
}

interface Built {
  doc: Y.Doc
  versions: Array<{ id: number; value: Uint8Array }>
  texts: string[]
  progress: ReturnType<typeof newProgress>
}

function newProgress() {
  return { bytes: 0, ...noCheckpoint() }
}

/** A history as the recorder writes it: `count` versions, each made by `edit`, ending `end(id)`. */
function record(seed: number, first: number, count: number, edits: number, end: (id: number) => number = (id) => id): Built {
  const random = rng(seed)
  const doc = new Y.Doc()
  doc.clientID = 1 + Math.floor(random() * 0xfffffff)
  const text = doc.getText('codemirror')
  const progress = newProgress()
  const versions: Built['versions'] = []
  const texts: string[] = []
  let base: VersionBase = EMPTY_BASE
  for (let id = 1; id <= count; id++) {
    if (id === 1) text.insert(0, words(random, first))
    else for (let i = 0; i < edits; i++) smallEdit(text, random)
    const cut = cutVersion(doc, base)
    base = cut.base
    const meta = { id, start: end(id) - 1, end: end(id), kind: 'edit' as const, label: null, added: cut.added, removed: cut.removed, authors: [] }
    versions.push({ id, value: encodeVersion(progress, { ...meta, delta: cut.delta }, doc) })
    texts.push(text.toString())
  }
  return { doc, versions, texts, progress }
}

/** The V1 bytes of every checkpoint a kept checkpoint builds on, itself included: what `replayBound` is given. */
function chainCost(records: VersionRecord[], index: number): number {
  let cost = 0
  for (let i = index; i >= 0; ) {
    const checkpoint = records[i]!.checkpoint!
    cost += checkpoint.encoding === 1 ? checkpoint.update.length : Y.convertUpdateFormatV2ToV1(checkpoint.update).length
    if (checkpoint.base === 0) return cost
    i = records.findIndex((r) => r.id === checkpoint.base)
    expect(i, `the base of version ${records[index]!.id}'s checkpoint is kept`).toBeGreaterThanOrEqual(0)
    expect(records[i]!.checkpoint, `version ${records[i]!.id}, a checkpoint base, still carries its checkpoint`).toBeDefined()
  }
  return cost
}

/**
 * The replay past the nearest checkpoint, for every version, stays under the bound in force after
 * that checkpoint, plus the first version after it (a checkpoint right after another would only
 * repeat that version's update). Returns how many checkpoints there are.
 */
function expectBoundedReplay(records: VersionRecord[]): number {
  let chain = 0
  let replay = 0
  let first = 0
  let checkpoints = 0
  records.forEach((r, index) => {
    if (r.checkpoint) {
      chain = chainCost(records, index)
      replay = 0
      checkpoints++
      return
    }
    replay += versionCost(r.delta.length)
    if (replay === versionCost(r.delta.length)) first = replay
    expect(replay - first, `replay to version ${r.id}`).toBeLessThan(replayBound(chain))
  })
  return checkpoints
}

function expectOpens(versions: Built['versions'], texts: (id: number) => string | undefined, cold: number[]): void {
  // In order with one reader (each open starts from the one before, cached), then some from nothing.
  const reader = new HistoryReader(`in-order-${Math.random()}`, { head: undefined, versions })
  reader.versions.forEach((v, index) => expect(reader.text(index), `version ${v.id}`).toBe(texts(v.id)))
  for (const index of cold) {
    expect(new HistoryReader(`cold-${Math.random()}`, { head: undefined, versions }).text(index), `version ${versions[index]!.id}, cold`).toBe(
      texts(versions[index]!.id)
    )
  }
}

// The versions that replay the most: just before each checkpoint, and the newest.
function longestReplays(versions: Built['versions']): number[] {
  const metas = new HistoryReader(`list-${Math.random()}`, { head: undefined, versions }).versions
  return [...metas.flatMap((m, i) => (m.checkpointed && i > 0 ? [i - 1, i] : [])), metas.length - 1]
}

describe('checkpoints placed by replay cost', () => {
  it('HS12: after many small versions of a large document, the replay from the nearest checkpoint stays within the bound, storage within the budget, and every version opens to its text', () =>
    withSeed(1212, (seed) => {
      // 150 KB of text, then 700 versions of a few keystrokes: whole-state checkpoints every 128
      // versions would not fit the budget past the first one, and the newest would replay ~570.
      const { doc, versions, texts, progress } = record(seed, 150_000, 700, 3)
      const records = versions.map((v) => readVersionRecord(v.value))
      const checkpoints = expectBoundedReplay(records)
      expect(checkpoints).toBeGreaterThan(3)
      // Most checkpoints are spans from the previous one: that is what makes them fit.
      expect(records.filter((r) => r.checkpoint && r.checkpoint.base !== 0).length).toBeGreaterThanOrEqual(checkpoints - 1)
      expect(progress.bytes).toBe(versions.reduce((sum, v) => sum + v.value.length, 0))
      expect(progress.bytes).toBeLessThanOrEqual(CHECKPOINT_BUDGET * Y.encodeStateAsUpdate(doc).length)
      expectOpens(versions, (id) => texts[id - 1], longestReplays(versions))
    }))

  it('HS12: a checkpoint whose chain is broken is passed over: every version still opens to its text', () =>
    withSeed(1213, (seed) => {
      const { versions, texts } = record(seed, 20_000, 400, 4)
      const records = versions.map((v) => readVersionRecord(v.value))
      const spans = records.filter((r) => r.checkpoint && r.checkpoint.base !== 0)
      expect(spans.length).toBeGreaterThan(0)
      // The version the first span builds on loses its checkpoint (as a damaged rewrite would).
      const base = spans[0]!.checkpoint!.base
      const broken = versions.map((v, i) => (v.id === base ? { id: v.id, value: writeVersionRecord({ ...records[i]!, checkpoint: undefined }) } : v))
      expectOpens(broken, (id) => texts[id - 1], longestReplays(versions))
    }))

  it('HS12/HS6: retention re-places checkpoints whose base was merged away, so the bound holds after merging and every kept version opens to its text', () =>
    withSeed(1214, async (seed) => {
      const hour = 3_600_000
      const now = 1000 * hour
      // Ten versions an hour for 40 hours, ending now.
      const { versions, texts, progress } = record(seed, 30_000, 400, 4, (id) => now - 40 * hour + id * (hour / 10))
      const store = new MemoryStore()
      const base = cutVersion(new Y.Doc(), EMPTY_BASE).base
      await store.writeHistory('doc', { put: versions, delete: [], head: writeHeadRecord({ lastId: 400, enabled: true, prunedAt: 0, base, ...progress }) })
      const before = versions.map((v) => readVersionRecord(v.value))
      const merged = await applyRetention(store, 'doc', { historyDetailMs: 5 * hour, historyKeepMs: 0 }, now)
      expect(merged).toBeGreaterThan(300)
      const stored = await store.readHistory('doc')
      const records = stored.versions.map((v) => readVersionRecord(v.value))
      const kept = new Set(records.map((r) => r.id))
      // Some checkpoint was merged away, so something had to be placed again.
      expect(before.some((r) => r.checkpoint && !kept.has(r.id))).toBe(true)
      expectBoundedReplay(records)
      const head = readHeadRecord(stored.head!)
      expect(head.bytes).toBe(stored.versions.reduce((sum, v) => sum + v.value.length, 0))
      expect(head.checkpointId === 0 || records.find((r) => r.id === head.checkpointId)?.checkpoint !== undefined).toBe(true)
      expectOpens(stored.versions, (id) => texts[id - 1], longestReplays(stored.versions))
    }))

  it('HS12: records and a head stored before the rule (whole V1 states every 128 versions, no replay fields) open as before, and recording goes on from them', () =>
    withSeed(1215, (seed) => {
      const random = rng(seed)
      const doc = new Y.Doc()
      const text = doc.getText('codemirror')
      let base: VersionBase = EMPTY_BASE
      const versions: Built['versions'] = []
      const texts: string[] = []
      let bytes = 0
      for (let id = 1; id <= 300; id++) {
        for (let i = 0; i < 5; i++) smallEdit(text, random)
        const cut = cutVersion(doc, base)
        base = cut.base
        const record = { id, start: id, end: id, kind: 'edit' as const, label: null, added: cut.added, removed: cut.removed, authors: [], delta: cut.delta }
        let value = writeVersionRecord(record)
        // As the old rule placed them: every 128 versions, budget allowing.
        if (id % 128 === 0) {
          const state = Y.encodeStateAsUpdate(doc)
          const withCheckpoint = writeVersionRecord({ ...record, checkpoint: { base: 0, update: state, encoding: 1 } })
          if (bytes + withCheckpoint.length <= CHECKPOINT_BUDGET * state.length) value = withCheckpoint
        }
        versions.push({ id, value })
        texts.push(text.toString())
        bytes += value.length
      }
      // The head as it was written then: no replay, chain or checkpoint fields.
      const inner = encoding.createEncoder()
      encoding.writeVarUint8Array(inner, Y.encodeStateVector(base.vector))
      encoding.writeUint8Array(inner, encodeDeleteRanges(base.deleted))
      const old = encoding.createEncoder()
      for (const n of [1, 300, 1, 0, bytes, 300 - 256]) encoding.writeVarUint(old, n)
      encoding.writeVarUint8Array(old, deflateRawSync(encoding.toUint8Array(inner)))
      const head = readHeadRecord(encoding.toUint8Array(old))
      expect(head).toMatchObject({ lastId: 300, bytes, sinceCheckpoint: 44, replay: 0, chain: 0, checkpointId: 0, checkpointBase: EMPTY_BASE })
      expect(new HistoryReader('old', { head: undefined, versions }).versions.filter((v) => v.checkpointed).length).toBeGreaterThan(0)
      // Recording goes on from the old head (the document grows): the first checkpoint it places is a whole state.
      for (let id = 301; id <= 600; id++) {
        for (let i = 0; i < 5; i++) smallEdit(text, random)
        text.insert(text.length, words(random, 400))
        const cut = cutVersion(doc, base)
        base = cut.base
        const meta = { id, start: id, end: id, kind: 'edit' as const, label: null, added: cut.added, removed: cut.removed, authors: [] }
        versions.push({ id, value: encodeVersion(head, { ...meta, delta: cut.delta }, doc) })
        texts.push(text.toString())
      }
      const placed = versions.slice(300).map((v) => readVersionRecord(v.value).checkpoint)
      expect(placed.find((c) => c !== undefined)?.base).toBe(0)
      expectOpens(versions, (id) => texts[id - 1], [0, 127, 128, 200, 255, 256, 299, ...longestReplays(versions)])
      // The head round-trips with its new fields.
      expect(readHeadRecord(writeHeadRecord(head))).toEqual(head)
    }))
})
