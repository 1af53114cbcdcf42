import { describe, expect, it } from 'vitest'
import { backoffDelay, Reconnector } from '../src/backoff.js'

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
})

describe('Reconnector', () => {
  const waitUntil = async (condition: () => boolean): Promise<void> => {
    for (let i = 0; i < 3000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  }

  it('connects once per scheduled retry, with delays that grow until a connection succeeds', async () => {
    let connects = 0
    const reconnector = new Reconnector(
      () => connects++,
      { base: 10, cap: 40 },
      () => 1
    )
    const delays = [reconnector.schedule()]
    await waitUntil(() => connects === 1)
    delays.push(reconnector.schedule())
    await waitUntil(() => connects === 2)
    // A schedule while one is planned replaces it: one retry at a time.
    delays.push(reconnector.schedule(), reconnector.schedule())
    await waitUntil(() => !reconnector.pending)
    expect(connects).toBe(3)
    expect(delays).toEqual([10, 20, 40, 40])
    reconnector.succeeded()
    expect(reconnector.schedule()).toBe(10)
    reconnector.cancel()
    expect(reconnector.pending).toBe(false)
  })
})
