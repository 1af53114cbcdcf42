/**
 * News of the history while a document is open: the protocol's `history` extension (rule in
 * PROTOCOL.md). A client that asks for it (`?ext=history`) receives one frame whenever the server
 * cuts a version or someone restores one, so a history panel stays current without polling.
 * Stock clients never ask, and never receive it.
 */
import * as decoding from 'lib0/decoding'
import type { Version } from './history-client.js'

/** The extension's name in the `ext` query parameter. */
export const HISTORY_EXTENSION = 'history'

/** The frame's message type (after the acknowledgements' 100). */
export const HISTORY_MESSAGE_TYPE = 101

/** What happened: a version was cut, or someone restored one (`version` is the restored one). */
export interface HistoryEvent {
  event: 'version' | 'restore'
  version: Version
}

/** Read a history frame: `undefined` when `bytes` is not one, or not one this client understands. */
export function readHistoryEvent(bytes: Uint8Array): HistoryEvent | undefined {
  try {
    const decoder = decoding.createDecoder(bytes)
    if (decoding.readVarUint(decoder) !== HISTORY_MESSAGE_TYPE) return undefined
    const payload: unknown = JSON.parse(decoding.readVarString(decoder))
    if (typeof payload !== 'object' || payload === null) return undefined
    const { event, version } = payload as { event?: unknown; version?: unknown }
    if (event !== 'version' && event !== 'restore') return undefined
    if (typeof version !== 'object' || version === null || typeof (version as { id?: unknown }).id !== 'string') return undefined
    return { event, version: version as Version }
  } catch {
    return undefined
  }
}
