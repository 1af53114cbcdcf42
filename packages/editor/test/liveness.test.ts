import { describe, expect, it } from 'vitest'
import { Liveness } from '../src/liveness.js'

const options = { quietMs: 4_000, answerMs: 4_000, connectMs: 10_000 }

describe('liveness', () => {
  it('asks after a silence, and gives up on a connection that still says nothing', () => {
    const liveness = new Liveness(options)
    liveness.opened(0)
    expect(liveness.check(4_000, false)).toBe('none')
    expect(liveness.check(4_001, false)).toBe('probe')
    // One question at a time.
    expect(liveness.check(5_000, false)).toBe('none')
    expect(liveness.check(8_001, false)).toBe('none')
    expect(liveness.check(8_002, false)).toBe('dead')
  })

  it('takes any frame as an answer', () => {
    const liveness = new Liveness(options)
    liveness.opened(0)
    expect(liveness.check(5_000, false)).toBe('probe')
    liveness.received(6_000)
    expect(liveness.check(9_500, false)).toBe('none')
    expect(liveness.check(10_001, false)).toBe('probe')
  })

  it('is patient with a socket the server reads slowly on purpose, and off without probing', () => {
    const liveness = new Liveness(options)
    liveness.opened(0)
    expect(liveness.check(60_000, true)).toBe('none')
    const off = new Liveness({ ...options, quietMs: 0 })
    off.opened(0)
    expect(off.check(60_000, false)).toBe('none')
  })

  it('gives up on a socket stuck connecting, and forgets a closed one', () => {
    const liveness = new Liveness(options)
    liveness.connecting(0)
    expect(liveness.check(10_000, false)).toBe('none')
    expect(liveness.check(10_001, false)).toBe('dead')
    liveness.closed()
    expect(liveness.check(99_000, false)).toBe('none')
  })
})
