/**
 * The bytes of history records (README "Storage layout": `v:` and `vh:` keys). Pure: storage
 * stores what these functions produce and never looks inside.
 *
 * version record: varUint format=1, varUint id, varUint start (ms), varUint end (ms), varUint kind,
 *                 varUint hasLabel, [varString label], varUint added, varUint removed,
 *                 varUint authorCount, authorCount × (varString name, varUint verified,
 *                 varString color ("" for none), varUint clientCount, clientCount × varUint client),
 *                 varUint8Array delta (raw deflate of the Yjs update since the previous version),
 *                 varUint checkpoint: 0 none,
 *                   1 [varUint8Array raw deflate of the whole state at this version (V1)] (first records with checkpoints),
 *                   2 [varUint base id (0 = the empty document), varUint8Array raw deflate of the Yjs update (V2)
 *                     from version `base`'s state to this version's]
 * head record:    varUint format=1, varUint lastId, varUint enabled, varUint prunedAt (ms),
 *                 varUint bytes (all version records), varUint sinceCheckpoint (versions since the last checkpoint),
 *                 varUint8Array deflated (varUint8Array state vector, delete ranges as a Yjs delete set),
 *                 then, absent from heads written before checkpoints were placed by cost:
 *                 varUint replay (replay cost since the last checkpoint), varUint chain (cost of its checkpoint chain),
 *                 varUint checkpointId (0 = none), varUint8Array deflated (the checkpoint's state vector and delete ranges)
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { type DeleteRanges, decodeDeleteRanges, EMPTY_BASE, encodeDeleteRanges, type VersionBase } from '../history/delta.js'
import { DamagedRecordError, readBytes, readRecord } from './records.js'

/** Why a version was cut. */
export type VersionKind = 'edit' | 'restore' | 'before-restore' | 'import'
const KINDS: readonly VersionKind[] = ['edit', 'restore', 'before-restore', 'import']

/** Someone who wrote in a version, and the Yjs client ids they wrote with. */
export interface VersionAuthor {
  name: string
  /** From a token's `user` claim; otherwise the presence name the client gave. */
  verified: boolean
  color: string | null
  clients: number[]
}

/** A version's facts, without its update. */
export interface VersionMeta {
  id: number
  start: number
  end: number
  kind: VersionKind
  label: string | null
  added: number
  removed: number
  authors: VersionAuthor[]
  /** The record also holds a checkpoint: this version's state, or an update to it from an earlier checkpoint's. */
  checkpointed?: boolean
  /** The version whose state that checkpoint starts from (0: the empty document, i.e. the whole state). */
  checkpointBase?: number
}

/** A checkpoint: the Yjs update from version `base`'s state (0: the empty document) to this version's. */
export interface Checkpoint {
  base: number
  update: Uint8Array
  /** Yjs update encoding: 1 in the first checkpoints (whole states), 2 since (smaller once deflated). */
  encoding: 1 | 2
}

/** One stored version: its facts and the Yjs update from the previous version to it. */
export interface VersionRecord extends VersionMeta {
  delta: Uint8Array
  /** The record's checkpoint, if it carries one. */
  checkpoint?: Checkpoint
}

/** Where a document's history stands: the last version, whether history is kept, and its end state. */
export interface HistoryHead {
  lastId: number
  enabled: boolean
  /** When retention last ran over this document. */
  prunedAt: number
  /** Bytes of all version records. */
  bytes: number
  /** Versions cut since the last one that carries a checkpoint. */
  sinceCheckpoint: number
  base: VersionBase
  /** Replay cost (checkpoints.ts) of the versions since the last checkpoint. */
  replay: number
  /** Cost of applying the last checkpoint and the ones it builds on. */
  chain: number
  /** The last version that carries a checkpoint written by cost, and where it ends; 0 when none is known. */
  checkpointId: number
  checkpointBase: VersionBase
}

/** Encode a version record. */
export function writeVersionRecord(record: VersionRecord): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1)
  encoding.writeVarUint(encoder, record.id)
  encoding.writeVarUint(encoder, record.start)
  encoding.writeVarUint(encoder, record.end)
  encoding.writeVarUint(encoder, KINDS.indexOf(record.kind))
  encoding.writeVarUint(encoder, record.label === null ? 0 : 1)
  if (record.label !== null) encoding.writeVarString(encoder, record.label)
  encoding.writeVarUint(encoder, record.added)
  encoding.writeVarUint(encoder, record.removed)
  encoding.writeVarUint(encoder, record.authors.length)
  for (const author of record.authors) {
    encoding.writeVarString(encoder, author.name)
    encoding.writeVarUint(encoder, author.verified ? 1 : 0)
    encoding.writeVarString(encoder, author.color ?? '')
    encoding.writeVarUint(encoder, author.clients.length)
    for (const client of author.clients) encoding.writeVarUint(encoder, client)
  }
  encoding.writeVarUint8Array(encoder, deflateRawSync(record.delta))
  const checkpoint = record.checkpoint
  if (!checkpoint) encoding.writeVarUint(encoder, 0)
  else if (checkpoint.encoding === 1) {
    if (checkpoint.base !== 0) throw new Error('a V1 checkpoint is a whole state')
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarUint8Array(encoder, deflateRawSync(checkpoint.update))
  } else {
    encoding.writeVarUint(encoder, 2)
    encoding.writeVarUint(encoder, checkpoint.base)
    encoding.writeVarUint8Array(encoder, deflateRawSync(checkpoint.update))
  }
  return encoding.toUint8Array(encoder)
}

/** Decode a version record's facts only (listing needs no update). Throws {@link DamagedRecordError}. */
export function readVersionMeta(bytes: Uint8Array): VersionMeta {
  return readVersion(bytes, false)
}

/** Decode a whole version record. Throws {@link DamagedRecordError}. */
export function readVersionRecord(bytes: Uint8Array): VersionRecord {
  return readVersion(bytes, true) as VersionRecord
}

function readVersion(bytes: Uint8Array, withDelta: boolean): VersionMeta | VersionRecord {
  return readRecord(bytes, 'version record', (decoder) => {
    const id = decoding.readVarUint(decoder)
    const start = decoding.readVarUint(decoder)
    const end = decoding.readVarUint(decoder)
    const kind = KINDS[decoding.readVarUint(decoder)]
    if (!kind) throw new DamagedRecordError('version record has an unknown kind')
    const label = decoding.readVarUint(decoder) === 1 ? decoding.readVarString(decoder) : null
    const added = decoding.readVarUint(decoder)
    const removed = decoding.readVarUint(decoder)
    const authors: VersionAuthor[] = []
    const count = decoding.readVarUint(decoder)
    for (let i = 0; i < count; i++) {
      const name = decoding.readVarString(decoder)
      const verified = decoding.readVarUint(decoder) === 1
      const color = decoding.readVarString(decoder) || null
      const clients: number[] = []
      const clientCount = decoding.readVarUint(decoder)
      for (let j = 0; j < clientCount; j++) clients.push(decoding.readVarUint(decoder))
      authors.push({ name, verified, color, clients })
    }
    const packed = readBytes(decoder)
    const flag = decoding.readVarUint(decoder)
    if (flag > 2) throw new DamagedRecordError('version record has an unknown checkpoint kind')
    const checkpointBase = flag === 2 ? decoding.readVarUint(decoder) : 0
    const packedCheckpoint = flag > 0 ? readBytes(decoder) : undefined
    const meta: VersionMeta = { id, start, end, kind, label, added, removed, authors, checkpointed: flag > 0 }
    if (flag > 0) meta.checkpointBase = checkpointBase
    if (!withDelta) return meta
    try {
      const delta = inflate(packed)
      if (!packedCheckpoint) return { ...meta, delta }
      return { ...meta, delta, checkpoint: { base: checkpointBase, update: inflate(packedCheckpoint), encoding: flag === 1 ? 1 : 2 } }
    } catch {
      throw new DamagedRecordError('version record update does not inflate')
    }
  })
}

/** Encode a head record. */
export function writeHeadRecord(head: HistoryHead): Uint8Array {
  const inner = encoding.createEncoder()
  encoding.writeVarUint8Array(inner, Y.encodeStateVector(head.base.vector))
  encoding.writeUint8Array(inner, encodeDeleteRanges(head.base.deleted))
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1)
  encoding.writeVarUint(encoder, head.lastId)
  encoding.writeVarUint(encoder, head.enabled ? 1 : 0)
  encoding.writeVarUint(encoder, head.prunedAt)
  encoding.writeVarUint(encoder, head.bytes)
  encoding.writeVarUint(encoder, head.sinceCheckpoint)
  encoding.writeVarUint8Array(encoder, deflateRawSync(encoding.toUint8Array(inner)))
  encoding.writeVarUint(encoder, head.replay)
  encoding.writeVarUint(encoder, head.chain)
  encoding.writeVarUint(encoder, head.checkpointId)
  const checkpoint = encoding.createEncoder()
  encoding.writeVarUint8Array(checkpoint, Y.encodeStateVector(head.checkpointBase.vector))
  encoding.writeUint8Array(checkpoint, encodeDeleteRanges(head.checkpointBase.deleted))
  encoding.writeVarUint8Array(encoder, deflateRawSync(encoding.toUint8Array(checkpoint)))
  return encoding.toUint8Array(encoder)
}

/** Decode a head record. Throws {@link DamagedRecordError}. */
export function readHeadRecord(bytes: Uint8Array): HistoryHead {
  return readRecord(bytes, 'history head', (decoder) => {
    const lastId = decoding.readVarUint(decoder)
    const enabled = decoding.readVarUint(decoder) === 1
    const prunedAt = decoding.readVarUint(decoder)
    const bytes = decoding.readVarUint(decoder)
    const sinceCheckpoint = decoding.readVarUint(decoder)
    const base = readBase(readBytes(decoder))
    // A head written before checkpoints were placed by cost: the next checkpoint is a whole state, due by its count.
    if (decoder.pos === decoder.arr.length) {
      return { lastId, enabled, prunedAt, bytes, sinceCheckpoint, base, replay: 0, chain: 0, checkpointId: 0, checkpointBase: EMPTY_BASE }
    }
    const replay = decoding.readVarUint(decoder)
    const chain = decoding.readVarUint(decoder)
    const checkpointId = decoding.readVarUint(decoder)
    const checkpointBase = readBase(readBytes(decoder))
    return { lastId, enabled, prunedAt, bytes, sinceCheckpoint, base, replay, chain, checkpointId, checkpointBase }
  })
}

// A state vector and delete ranges, deflated together.
function readBase(packed: Uint8Array): VersionBase {
  let inner: decoding.Decoder
  try {
    inner = decoding.createDecoder(inflateRawSync(packed))
  } catch {
    throw new DamagedRecordError('history head does not inflate')
  }
  const vector = Y.decodeStateVector(decoding.readVarUint8Array(inner))
  const deleted: DeleteRanges = decodeDeleteRanges(inner)
  return { vector, deleted }
}

// Inflating allocates its output in chunks of 16 KiB by default: most deltas are far smaller, and
// a replay inflates hundreds of them, so size the first chunk to the likely output.
function inflate(packed: Uint8Array): Uint8Array {
  return inflateRawSync(packed, { chunkSize: Math.min(64 * 1024, Math.max(1024, packed.length * 4)) })
}
