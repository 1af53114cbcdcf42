import { EditorState } from '@codemirror/state'
import { describe, expect, it } from 'vitest'
import { cutText, largeChanges, partLength } from '../src/large-changes.js'

describe('large changes', () => {
  it('fits each part in a message: at most 3 UTF-8 bytes per code unit, beside the overhead', () => {
    const limit = 65_536
    const length = partLength(limit)
    expect(length * 3 + 4096).toBeLessThanOrEqual(limit)
    const text = '€'.repeat(length)
    expect(new TextEncoder().encode(text).length + 4096).toBeLessThanOrEqual(limit)
  })

  it('cuts text into parts that join back, never inside a surrogate pair', () => {
    const text = `ab😀cd😀😀e${'x'.repeat(50)}😀`
    for (let length = 2; length < 12; length++) {
      const parts = cutText(text, length)
      expect(parts.join('')).toBe(text)
      for (const piece of parts) {
        expect(piece.length).toBeLessThanOrEqual(length)
        expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(piece)).toBe(false)
      }
    }
  })

  it('lets small changes through, applies only the first part of a large one at once, and refuses a large one in several places', () => {
    const refusals: string[] = []
    const state = EditorState.create({ doc: 'start end', extensions: largeChanges({ maxMessageBytes: () => 8192, refused: (m) => refusals.push(m) }) })
    const length = partLength(8192)
    expect(state.update({ changes: { from: 5, insert: 'x'.repeat(length) } }).state.doc.length).toBe(9 + length)
    const big = state.update({ changes: { from: 6, to: 9, insert: 'y'.repeat(3 * length + 5) } }).state
    expect(big.doc.toString()).toBe(`start ${'y'.repeat(length)}`)
    const several = state.update({
      changes: [
        { from: 0, insert: 'z'.repeat(length) },
        { from: 9, insert: 'z'.repeat(length) }
      ]
    }).state
    expect(several.doc.toString()).toBe('start end')
    expect(refusals).toHaveLength(1)
    expect(refusals[0]).toMatch(/too large for the server \(it accepts about 8 KB at once\)/)
  })
})
