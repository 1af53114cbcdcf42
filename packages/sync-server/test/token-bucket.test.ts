/** The per-connection budget (PROTOCOL.md L2), on a fake clock. */
import { describe, expect, it } from 'vitest'
import { messageCost, TOKEN_BYTES, TokenBucket } from '../src/connection/token-bucket.js'

describe('token bucket (PROTOCOL.md L2)', () => {
  it('L2: a message costs one token plus one per 64 KiB of work', () => {
    expect(messageCost(0)).toBe(1)
    expect(messageCost(TOKEN_BYTES - 1)).toBe(1)
    expect(messageCost(TOKEN_BYTES)).toBe(2)
    expect(messageCost(2_000_000)).toBe(31)
    expect(messageCost(16 * 1024 * 1024)).toBe(257)
    expect(messageCost(64 * 1024 * 1024)).toBe(1025)
  })

  it('L2: spends the burst at once, then goes into debt that the rate refills', () => {
    let now = 0
    const bucket = new TokenBucket(100, 10, () => now)
    for (let i = 0; i < 10; i++) bucket.take(1)
    expect(bucket.debtMs()).toBe(0)
    bucket.take(5)
    expect(bucket.debtMs()).toBeCloseTo(50)
    now += 30
    expect(bucket.debtMs()).toBeCloseTo(20)
    now += 20
    expect(bucket.debtMs()).toBe(0)
    // Refilling stops at the burst.
    now += 60_000
    bucket.take(10)
    expect(bucket.debtMs()).toBe(0)
    bucket.take(1)
    expect(bucket.debtMs()).toBeCloseTo(10)
  })
})
