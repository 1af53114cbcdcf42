import { describe, expect, it } from 'vitest'
import { Liveness, type LivenessAction } from '../src/liveness.js'

const options = { quietMs: 4_000, answerMs: 4_000, connectMs: 10_000 }

/** Check every 500 ms from `from` to `to`; the first action other than 'none', and when. */
function tick(liveness: Liveness, from: number, to: number, busy = false, backedUp = false): { action: LivenessAction; at: number } | undefined {
  for (let now = from; now <= to; now += 500) {
    const action = liveness.check(now, backedUp, busy)
    if (action !== 'none') return { action, at: now }
  }
  return undefined
}

describe('liveness', () => {
  it('asks after a silence, and gives up on a connection that still says nothing', () => {
    const liveness = new Liveness(options)
    liveness.opened(0)
    expect(tick(liveness, 0, 20_000)).toEqual({ action: 'probe', at: 4_500 })
    // One question at a time; no answer within 4 s is death.
    expect(tick(liveness, 5_000, 20_000)).toEqual({ action: 'dead', at: 9_000 })
  })

  it('takes any frame as an answer', () => {
    const liveness = new Liveness(options)
    liveness.opened(0)
    expect(tick(liveness, 0, 20_000)).toEqual({ action: 'probe', at: 4_500 })
    liveness.received(6_000)
    expect(tick(liveness, 5_000, 20_000)).toEqual({ action: 'probe', at: 10_500 })
  })

  it('does not count a stall of this page as silence, and gives a server that owes acknowledgements longer', () => {
    const liveness = new Liveness(options)
    liveness.opened(0)
    expect(tick(liveness, 0, 3_000)).toBeUndefined()
    // Nothing ran here from 3 s to 9 s: frames may be waiting unread, so counting starts again.
    expect(tick(liveness, 9_000, 20_000)).toEqual({ action: 'probe', at: 13_500 })
    // Busy with our changes: three times the answer time.
    expect(tick(liveness, 14_000, 40_000, true)).toEqual({ action: 'dead', at: 26_000 })
  })

  it('is patient with a socket the server reads slowly on purpose, and off without probing', () => {
    const liveness = new Liveness(options)
    liveness.opened(0)
    expect(tick(liveness, 0, 60_000, false, true)).toBeUndefined()
    const off = new Liveness({ ...options, quietMs: 0 })
    off.opened(0)
    expect(tick(off, 0, 60_000)).toBeUndefined()
  })

  it('gives up on a socket stuck connecting, and forgets a closed one', () => {
    const liveness = new Liveness(options)
    liveness.connecting(0)
    expect(tick(liveness, 0, 20_000)).toEqual({ action: 'dead', at: 10_500 })
    liveness.closed()
    expect(tick(liveness, 11_000, 99_000)).toBeUndefined()
  })
})
