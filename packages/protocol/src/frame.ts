/**
 * The y-websocket wire format, and Quire's opt-in additions (rules F1–F10 in PROTOCOL.md).
 * `writeFrame` and `readFrame` are inverses; `readFrame` is strict, because every frame it
 * reads comes from an untrusted socket.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { ProtocolError } from './errors.js'

/** The first varUint of every frame (F1). */
export const MessageType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  /** Quire extension `ack`: sent only to clients that asked for it (F8). */
  Ack: 100,
  /** Quire extension `history`: sent only to clients that asked for it (F10). */
  History: 101
} as const

/** The second varUint of a sync frame (F2), as y-protocols/sync numbers them. */
export const SyncType = { Step1: 0, Step2: 1, Update: 2 } as const

/** The second varUint of an auth frame (F6), as y-protocols/auth numbers them. */
export const AuthType = { PermissionDenied: 0 } as const

/** One decoded frame. Byte fields are views into the frame they were read from. */
export type Frame =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'sync-step2'; update: Uint8Array }
  | { type: 'sync-update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' }
  | { type: 'permission-denied'; reason: string }
  | { type: 'ack'; index: number }
  /** A history event as JSON text (F10); history-event.ts reads and writes its contents. */
  | { type: 'history'; json: string }

/** Encode a frame for the wire. */
export function writeFrame(frame: Frame): Uint8Array {
  const encoder = encoding.createEncoder()
  switch (frame.type) {
    case 'sync-step1':
      writeSync(encoder, SyncType.Step1, frame.stateVector)
      break
    case 'sync-step2':
      writeSync(encoder, SyncType.Step2, frame.update)
      break
    case 'sync-update':
      writeSync(encoder, SyncType.Update, frame.update)
      break
    case 'awareness':
      encoding.writeVarUint(encoder, MessageType.Awareness)
      encoding.writeVarUint8Array(encoder, frame.update)
      break
    case 'query-awareness':
      encoding.writeVarUint(encoder, MessageType.QueryAwareness)
      break
    case 'permission-denied':
      encoding.writeVarUint(encoder, MessageType.Auth)
      encoding.writeVarUint(encoder, AuthType.PermissionDenied)
      encoding.writeVarString(encoder, frame.reason)
      break
    case 'ack':
      encoding.writeVarUint(encoder, MessageType.Ack)
      encoding.writeVarUint(encoder, frame.index)
      break
    case 'history':
      encoding.writeVarUint(encoder, MessageType.History)
      encoding.writeVarString(encoder, frame.json)
      break
  }
  return encoding.toUint8Array(encoder)
}

function writeSync(encoder: encoding.Encoder, syncType: number, payload: Uint8Array): void {
  encoding.writeVarUint(encoder, MessageType.Sync)
  encoding.writeVarUint(encoder, syncType)
  encoding.writeVarUint8Array(encoder, payload)
}

/** Decode one frame; throws {@link ProtocolError} for anything that is not exactly one frame (F7). */
export function readFrame(bytes: Uint8Array): Frame {
  const decoder = decoding.createDecoder(bytes)
  const messageType = readUint(decoder, 'message type')
  let frame: Frame
  switch (messageType) {
    case MessageType.Sync: {
      const syncType = readUint(decoder, 'sync message type')
      const payload = readBytes(decoder, 'sync payload')
      if (syncType === SyncType.Step1) frame = { type: 'sync-step1', stateVector: payload }
      else if (syncType === SyncType.Step2) frame = { type: 'sync-step2', update: payload }
      else if (syncType === SyncType.Update) frame = { type: 'sync-update', update: payload }
      else throw new ProtocolError(`unknown sync message type ${syncType}`)
      break
    }
    case MessageType.Awareness:
      frame = { type: 'awareness', update: readBytes(decoder, 'awareness payload') }
      break
    case MessageType.QueryAwareness:
      frame = { type: 'query-awareness' }
      break
    case MessageType.Auth: {
      const authType = readUint(decoder, 'auth message type')
      if (authType !== AuthType.PermissionDenied) throw new ProtocolError(`unknown auth message type ${authType}`)
      frame = { type: 'permission-denied', reason: readString(decoder, 'permission-denied reason') }
      break
    }
    case MessageType.Ack:
      frame = { type: 'ack', index: readUint(decoder, 'ack index') }
      break
    case MessageType.History:
      frame = { type: 'history', json: readString(decoder, 'history event') }
      break
    default:
      throw new ProtocolError(`unknown message type ${messageType}`)
  }
  if (decoder.pos !== bytes.length) {
    throw new ProtocolError(`${bytes.length - decoder.pos} trailing bytes after a ${frame.type} frame`)
  }
  return frame
}

// lib0's errors are caught and renamed, values past 2^53 - 1 refused, and every length checked
// against the bytes actually present, because a frame can be a view into a larger pooled buffer.
function readUint(decoder: decoding.Decoder, what: string): number {
  if (decoder.pos >= decoder.arr.length) throw new ProtocolError(`frame ends before the ${what}`)
  let value: number
  try {
    value = decoding.readVarUint(decoder)
  } catch {
    throw new ProtocolError(`bad varUint for the ${what}`)
  }
  // lib0 returns an imprecise number when the last byte ends a value past 2^53 - 1.
  if (!Number.isSafeInteger(value)) throw new ProtocolError(`varUint for the ${what} is larger than 2^53 - 1`)
  return value
}

function readBytes(decoder: decoding.Decoder, what: string): Uint8Array {
  const length = readUint(decoder, `${what} length`)
  const remaining = decoder.arr.length - decoder.pos
  if (length > remaining) throw new ProtocolError(`${what} declares ${length} bytes but ${remaining} remain`)
  return decoding.readUint8Array(decoder, length)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function readString(decoder: decoding.Decoder, what: string): string {
  const bytes = readBytes(decoder, what)
  try {
    return utf8.decode(bytes)
  } catch {
    throw new ProtocolError(`${what} is not valid UTF-8`)
  }
}
