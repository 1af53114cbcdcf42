/**
 * The per-connection budget of work (README, "Limits"): a token bucket that may go into debt.
 * A connection in debt is not refused anything; its socket is simply read no further until the
 * debt is refilled, so TCP flow control slows the sender down.
 */

/** Bytes that cost one token on top of the message's own token. */
export const TOKEN_BYTES = 64 * 1024

/**
 * What one message costs: one token, plus one per 64 KiB of work it causes. That work is the
 * bytes it carries for an update or presence, and the bytes of the document state the server
 * must encode and send back for a sync step 1.
 */
export function messageCost(workBytes: number): number {
  return 1 + Math.floor(workBytes / TOKEN_BYTES)
}

/** `burst` tokens at most, refilled at `rate` per second; `take` may overdraw. */
export class TokenBucket {
  private tokens: number
  private refilledAt: number

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now()
  ) {
    this.tokens = burst
    this.refilledAt = now()
  }

  /** Spend `cost` tokens, going into debt if there are not enough. */
  take(cost: number): void {
    this.refill()
    this.tokens -= cost
  }

  /** Milliseconds until the bucket is out of debt; 0 when it is not in debt. */
  debtMs(): number {
    this.refill()
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000
  }

  private refill(): void {
    const now = this.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.rate)
    this.refilledAt = now
  }
}
