/**
 * The bytes of an online backup on the wire (POST /api/admin/backup answers with them, `quire
 * backup --url` reads them). Pure: no I/O.
 *
 *   "QUIRE-BACKUP-1\n"                                   once, first
 *   varUint keyLength (> 0), key (UTF-8), varUint valueLength, value      per stored entry
 *   varUint 0, varUint entryCount                        once, last
 *
 * The closing count lets the reader tell a complete backup from one cut short.
 */
import * as encoding from 'lib0/encoding'
import type { StoredEntry } from './store.js'

/** The media type of a backup stream. */
export const BACKUP_MEDIA_TYPE = 'application/vnd.quire.backup'

const MAGIC = new TextEncoder().encode('QUIRE-BACKUP-1\n')
// Far above any key the schema makes (a 256-character name plus a prefix and 16 hex digits).
const MAX_KEY_BYTES = 4096
// Far above any value a server with the largest --max-document-bytes would store as one entry.
const MAX_VALUE_BYTES = 2 ** 32

/** A backup stream is not what it should be: garbled, not a backup, or cut short. */
export class BackupStreamError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BackupStreamError'
  }
}

/** The bytes that open a stream. */
export function encodeStart(): Uint8Array {
  return MAGIC
}

/** Entries as stream bytes. */
export function encodeEntries(entries: readonly StoredEntry[]): Uint8Array {
  const encoder = encoding.createEncoder()
  for (const [key, value] of entries) {
    // An empty key would read as the end; the schema never makes one.
    if (key === '') throw new BackupStreamError('an empty key cannot be backed up')
    encoding.writeVarString(encoder, key)
    encoding.writeVarUint8Array(encoder, value)
  }
  return encoding.toUint8Array(encoder)
}

/** The bytes that close a stream of `count` entries. */
export function encodeEnd(count: number): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint(encoder, count)
  return encoding.toUint8Array(encoder)
}

/** Reads a stream that arrives in arbitrary pieces. */
export class BackupStreamDecoder {
  private buffered: Buffer = Buffer.alloc(0)
  private started = false
  private count = 0
  private ended = false

  /** Entries completed by `chunk`; throws {@link BackupStreamError} on bytes that cannot be a backup. */
  push(chunk: Uint8Array): StoredEntry[] {
    if (this.ended && chunk.length > 0) throw new BackupStreamError('bytes after the end of the backup')
    this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk])
    if (!this.started) {
      if (this.buffered.length < MAGIC.length) {
        if (!MAGIC.subarray(0, this.buffered.length).every((byte, i) => this.buffered[i] === byte)) throw notBackup()
        return []
      }
      if (!MAGIC.every((byte, i) => this.buffered[i] === byte)) throw notBackup()
      this.buffered = this.buffered.subarray(MAGIC.length)
      this.started = true
    }
    const entries: StoredEntry[] = []
    let pos = 0
    for (;;) {
      const keyLength = readVarUint(this.buffered, pos)
      if (!keyLength) break
      if (keyLength.value === 0) {
        const total = readVarUint(this.buffered, keyLength.next)
        if (!total) break
        if (total.value !== this.count + entries.length)
          throw new BackupStreamError(`the backup says ${total.value} entries but holds ${this.count + entries.length}`)
        if (total.next !== this.buffered.length) throw new BackupStreamError('bytes after the end of the backup')
        this.ended = true
        pos = total.next
        break
      }
      if (keyLength.value > MAX_KEY_BYTES) throw new BackupStreamError(`a key of ${keyLength.value} bytes: not a backup stream`)
      const keyEnd = keyLength.next + keyLength.value
      const valueLength = readVarUint(this.buffered, keyEnd)
      if (!valueLength) break
      if (valueLength.value > MAX_VALUE_BYTES) throw new BackupStreamError(`a value of ${valueLength.value} bytes: not a backup stream`)
      const valueEnd = valueLength.next + valueLength.value
      if (valueEnd > this.buffered.length) break
      const key = this.buffered.toString('utf8', keyLength.next, keyEnd)
      // A copy: the buffer it came from is reused.
      entries.push([key, new Uint8Array(this.buffered.subarray(valueLength.next, valueEnd))])
      pos = valueEnd
    }
    this.count += entries.length
    this.buffered = this.buffered.subarray(pos)
    return entries
  }

  /** Entries read so far. */
  get entries(): number {
    return this.count
  }

  /** The stream has ended: throws unless it ended where a backup ends. */
  finish(): void {
    if (!this.ended) throw new BackupStreamError(`the backup was cut short after ${this.count} entries`)
  }
}

function notBackup(): BackupStreamError {
  return new BackupStreamError('the answer is not a Quire backup stream')
}

// A varUint at `pos`, or undefined if the buffer ends first.
function readVarUint(buffer: Buffer, pos: number): { value: number; next: number } | undefined {
  let value = 0
  let multiplier = 1
  for (let i = pos; i < buffer.length; i++) {
    const byte = buffer[i]!
    value += (byte & 0x7f) * multiplier
    if (byte < 0x80) return { value, next: i + 1 }
    multiplier *= 128
    if (multiplier > 2 ** 53) throw new BackupStreamError('a length that overflows: not a backup stream')
  }
  return undefined
}
