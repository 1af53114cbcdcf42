/**
 * The bytes of stored records (see "Storage" in the README for the key schema). Pure: the
 * LevelDB adapter stores what these functions produce and never looks inside.
 *
 * log record:      varUint version=1, varUint timestamp (ms), varUint count, count × varUint8Array update
 * snapshot record: varUint version=1, varUint timestamp (ms), varUint throughSeq, varUint8Array state
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

const VERSION = 1

/** One group-committed batch of Yjs updates, as appended to a document's log. */
export interface LogRecord {
  timestamp: number
  updates: Uint8Array[]
}

/** A document's compacted state, standing for every log entry with seq ≤ `throughSeq`. */
export interface SnapshotRecord {
  timestamp: number
  throughSeq: number
  state: Uint8Array
}

/** Stored bytes that do not decode as the record they should be. */
export class DamagedRecordError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DamagedRecordError'
  }
}

/** Encode a log record. */
export function writeLogRecord(record: LogRecord): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, VERSION)
  encoding.writeVarUint(encoder, record.timestamp)
  encoding.writeVarUint(encoder, record.updates.length)
  for (const update of record.updates) encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

/** Decode a log record; throws {@link DamagedRecordError} unless the bytes are exactly one. */
export function readLogRecord(bytes: Uint8Array): LogRecord {
  return readRecord(bytes, 'log record', (decoder) => {
    const timestamp = decoding.readVarUint(decoder)
    const count = decoding.readVarUint(decoder)
    const updates: Uint8Array[] = []
    for (let i = 0; i < count; i++) updates.push(readBytes(decoder))
    return { timestamp, updates }
  })
}

/** Encode a snapshot record. */
export function writeSnapshotRecord(record: SnapshotRecord): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, VERSION)
  encoding.writeVarUint(encoder, record.timestamp)
  encoding.writeVarUint(encoder, record.throughSeq)
  encoding.writeVarUint8Array(encoder, record.state)
  return encoding.toUint8Array(encoder)
}

/** Decode a snapshot record; throws {@link DamagedRecordError} unless the bytes are exactly one. */
export function readSnapshotRecord(bytes: Uint8Array): SnapshotRecord {
  return readRecord(bytes, 'snapshot record', (decoder) => {
    const timestamp = decoding.readVarUint(decoder)
    const throughSeq = decoding.readVarUint(decoder)
    return { timestamp, throughSeq, state: readBytes(decoder) }
  })
}

/** Decode a record of format 1 with `body`, as every stored record is: damage of any kind becomes {@link DamagedRecordError}. */
export function readRecord<T>(bytes: Uint8Array, what: string, body: (decoder: decoding.Decoder) => T): T {
  const decoder = decoding.createDecoder(bytes)
  let value: T
  try {
    const version = decoding.readVarUint(decoder)
    if (version !== VERSION) throw new DamagedRecordError(`${what} has unknown version ${version}`)
    value = body(decoder)
  } catch (error) {
    if (error instanceof DamagedRecordError) throw error
    throw new DamagedRecordError(`${what} is truncated or malformed`)
  }
  if (decoder.pos !== bytes.length) throw new DamagedRecordError(`${what} has ${bytes.length - decoder.pos} trailing bytes`)
  return value
}

/** Read a `varUint8Array` whose declared length must not run past the record (lib0 trusts lengths). */
export function readBytes(decoder: decoding.Decoder): Uint8Array {
  const length = decoding.readVarUint(decoder)
  if (length > decoder.arr.length - decoder.pos) throw new DamagedRecordError('declared length runs past the record')
  return decoding.readUint8Array(decoder, length)
}
