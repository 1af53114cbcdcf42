import { describe, expect, it } from 'vitest'
import { backoffDelay } from '../src/backoff.js'

describe('backoffDelay', () => {
  const options = { base: 200, cap: 5000 }

  it('doubles per attempt up to the cap, within the upper half of each step', () => {
    for (const [attempt, step] of [
      [1, 200],
      [2, 400],
      [3, 800],
      [6, 5000],
      [30, 5000]
    ] as const) {
      expect(backoffDelay(attempt, options, () => 0)).toBe(step / 2)
      expect(backoffDelay(attempt, options, () => 0.999999)).toBe(step)
    }
  })

  it("never undercuts y-websocket's own step, so the jittered value decides", () => {
    for (let attempt = 1; attempt < 20; attempt++) {
      expect(backoffDelay(attempt, options, Math.random)).toBeLessThanOrEqual(2 ** attempt * 100)
    }
  })
})
