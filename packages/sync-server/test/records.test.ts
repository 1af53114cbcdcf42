import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DamagedRecordError, readLogRecord, readSnapshotRecord, writeLogRecord, writeSnapshotRecord } from '../src/storage/records.js'

const update = fc.uint8Array({ maxLength: 64 })
const timestamp = fc.integer({ min: 0, max: 2 ** 48 })

describe('stored records', () => {
  it('log records round-trip', () => {
    fc.assert(
      fc.property(timestamp, fc.array(update, { maxLength: 8 }), (ts, updates) => {
        expect(readLogRecord(writeLogRecord({ timestamp: ts, updates }))).toEqual({ timestamp: ts, updates })
      }),
      { seed: 42 }
    )
  })

  it('snapshot records round-trip', () => {
    fc.assert(
      fc.property(timestamp, fc.integer({ min: 0, max: 2 ** 40 }), update, (ts, throughSeq, state) => {
        expect(readSnapshotRecord(writeSnapshotRecord({ timestamp: ts, throughSeq, state }))).toEqual({ timestamp: ts, throughSeq, state })
      }),
      { seed: 42 }
    )
  })

  it('every truncation of a record is reported as damage, never misread', () => {
    const bytes = writeLogRecord({ timestamp: 1_700_000_000_000, updates: [new Uint8Array([1, 2, 3]), new Uint8Array(200)] })
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => readLogRecord(bytes.subarray(0, cut)), `cut at ${cut}`).toThrow(DamagedRecordError)
    }
    const snapshot = writeSnapshotRecord({ timestamp: 5, throughSeq: 9, state: new Uint8Array(40) })
    for (let cut = 0; cut < snapshot.length; cut++) expect(() => readSnapshotRecord(snapshot.subarray(0, cut))).toThrow(DamagedRecordError)
  })

  it('trailing bytes, unknown versions and lengths past the end are damage', () => {
    const good = writeLogRecord({ timestamp: 1, updates: [new Uint8Array([1])] })
    expect(() => readLogRecord(new Uint8Array([...good, 0]))).toThrow(/trailing/)
    expect(() => readLogRecord(new Uint8Array([2, ...good.subarray(1)]))).toThrow(/version/)
    // A view into a larger buffer must not read past its own end.
    const backing = new Uint8Array(100).fill(7)
    backing.set([1, 1, 1, 50], 0)
    expect(() => readLogRecord(backing.subarray(0, 4))).toThrow(DamagedRecordError)
  })
})
