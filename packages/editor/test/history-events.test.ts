import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import { historyUrl } from '../src/history-client.js'
import { HISTORY_MESSAGE_TYPE, readHistoryEvent } from '../src/history-events.js'

const version = { id: 'v1', start: 1, end: 2, authors: [], added: 3, removed: 0, label: null, kind: 'edit' }

function frame(type: number, payload: string): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, type)
  encoding.writeVarString(encoder, payload)
  return encoding.toUint8Array(encoder)
}

describe('history events', () => {
  it('reads a version and a restore announcement', () => {
    expect(readHistoryEvent(frame(HISTORY_MESSAGE_TYPE, JSON.stringify({ event: 'version', version })))).toEqual({ event: 'version', version })
    expect(readHistoryEvent(frame(HISTORY_MESSAGE_TYPE, JSON.stringify({ event: 'restore', version })))).toEqual({ event: 'restore', version })
  })

  it('ignores other frames and payloads it does not understand, without throwing', () => {
    expect(readHistoryEvent(frame(100, JSON.stringify({ event: 'version', version })))).toBeUndefined()
    expect(readHistoryEvent(frame(HISTORY_MESSAGE_TYPE, 'not json'))).toBeUndefined()
    expect(readHistoryEvent(frame(HISTORY_MESSAGE_TYPE, JSON.stringify({ event: 'deleted', version })))).toBeUndefined()
    expect(readHistoryEvent(frame(HISTORY_MESSAGE_TYPE, JSON.stringify({ event: 'version', version: { id: 7 } })))).toBeUndefined()
    expect(readHistoryEvent(new Uint8Array([HISTORY_MESSAGE_TYPE, 200]))).toBeUndefined()
  })
})

describe('history client', () => {
  it('addresses the document API of the server, whatever form the server URL takes', () => {
    expect(historyUrl('ws://127.0.0.1:1234', 'notes/to day')).toBe('http://127.0.0.1:1234/api/docs/notes/to%20day')
    expect(historyUrl('wss://example.com/quire/?x=1', 'a')).toBe('https://example.com/quire/api/docs/a')
    expect(historyUrl('https://example.com', 'a')).toBe('https://example.com/api/docs/a')
  })
})
