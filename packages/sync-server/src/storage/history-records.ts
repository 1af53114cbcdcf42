/**
 * The bytes of history records (README "Storage layout": `v:` and `vh:` keys). Pure: storage
 * stores what these functions produce and never looks inside.
 *
 * version record: varUint format=1, varUint id, varUint start (ms), varUint end (ms), varUint kind,
 *                 varUint hasLabel, [varString label], varUint added, varUint removed,
 *                 varUint authorCount, authorCount × (varString name, varUint verified,
 *                 varString color ("" for none), varUint clientCount, clientCount × varUint client),
 *                 varUint8Array delta (raw deflate of the Yjs update since the previous version),
 *                 varUint hasCheckpoint, [varUint8Array checkpoint (raw deflate of the whole state at this version)]
 * head record:    varUint format=1, varUint lastId, varUint enabled, varUint prunedAt (ms),
 *                 varUint bytes (all version records), varUint sinceCheckpoint (versions since the last checkpoint),
 *                 varUint8Array deflated (varUint8Array state vector, delete ranges as a Yjs delete set)
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { type DeleteRanges, decodeDeleteRanges, encodeDeleteRanges, type VersionBase } from '../history/delta.js'
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
  /** The record also holds the whole state at this version (a checkpoint to open later versions from). */
  checkpointed?: boolean
}

/** One stored version: its facts and the Yjs update from the previous version to it. */
export interface VersionRecord extends VersionMeta {
  delta: Uint8Array
  /** The whole state at this version, when the record carries a checkpoint. */
  checkpoint?: Uint8Array
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
  encoding.writeVarUint(encoder, record.checkpoint ? 1 : 0)
  if (record.checkpoint) encoding.writeVarUint8Array(encoder, deflateRawSync(record.checkpoint))
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
    const checkpointed = decoding.readVarUint(decoder) === 1
    const packedCheckpoint = checkpointed ? readBytes(decoder) : undefined
    const meta: VersionMeta = { id, start, end, kind, label, added, removed, authors, checkpointed }
    if (!withDelta) return meta
    try {
      const delta = inflateRawSync(packed)
      return packedCheckpoint ? { ...meta, delta, checkpoint: inflateRawSync(packedCheckpoint) } : { ...meta, delta }
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
    let inner: decoding.Decoder
    try {
      inner = decoding.createDecoder(inflateRawSync(readBytes(decoder)))
    } catch {
      throw new DamagedRecordError('history head does not inflate')
    }
    const vector = Y.decodeStateVector(decoding.readVarUint8Array(inner))
    const deleted: DeleteRanges = decodeDeleteRanges(inner)
    return { lastId, enabled, prunedAt, bytes, sinceCheckpoint, base: { vector, deleted } }
  })
}
