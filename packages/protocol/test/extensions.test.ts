/**
 * Opt-in extensions (PROTOCOL.md X1): a client lists what it wants in `?ext=`; a stock client
 * lists nothing and gets plain y-websocket.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EXTENSIONS_PARAM, Extension, type ExtensionName, formatExtensions, parseExtensions } from '../src/index.js'

describe('extensions', () => {
  it('X1: the query parameter is "ext" and "ack" and "history" are the extensions defined', () => {
    expect(EXTENSIONS_PARAM).toBe('ext')
    expect(Object.values(Extension)).toEqual(['ack', 'history'])
  })

  it('X1: no parameter, an empty one, or only unknown names mean no extensions (a stock client)', () => {
    for (const value of [null, undefined, '', ',', ' ', 'future', 'ACK', 'ack2', 'a ck']) {
      expect(parseExtensions(value).size, JSON.stringify(value)).toBe(0)
    }
  })

  it('X1: reads "ack" from a comma list, trimming spaces and ignoring unknown names and repeats', () => {
    for (const value of ['ack', ' ack ', 'future,ack', 'ack,ack', 'x, ack ,y', ',ack,']) {
      expect([...parseExtensions(value)], JSON.stringify(value)).toEqual(['ack'])
    }
  })

  it('X1: formatExtensions writes a sorted list without repeats', () => {
    expect(formatExtensions([])).toBe('')
    expect(formatExtensions(['ack', 'ack'])).toBe('ack')
  })

  it('X1: parseExtensions ∘ formatExtensions is the identity on sets of known extensions (property)', () => {
    const known = Object.values(Extension) as ExtensionName[]
    fc.assert(
      fc.property(fc.subarray(known), (names) => {
        expect(parseExtensions(formatExtensions(names))).toEqual(new Set(names))
      }),
      { seed: 7 }
    )
  })

  it('X1: unknown names never stop known ones from being read (property)', () => {
    const unknown = fc.string({ maxLength: 8 }).filter((s) => !s.includes(',') && s.trim() !== 'ack')
    fc.assert(
      fc.property(fc.array(unknown, { maxLength: 5 }), fc.array(unknown, { maxLength: 5 }), fc.boolean(), (before, after, withAck) => {
        const value = [...before, ...(withAck ? ['ack'] : []), ...after].join(',')
        expect(parseExtensions(value).has('ack')).toBe(withAck)
      }),
      { seed: 7, numRuns: 300 }
    )
  })
})
