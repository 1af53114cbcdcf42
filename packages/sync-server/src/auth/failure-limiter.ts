/**
 * Failed authentications per client address: past `maxFailures` within `windowMs`, the address
 * is refused (429) for `blockMs`. Memory is bounded: at most `maxTracked` addresses, oldest
 * forgotten first.
 */
export interface FailureLimits {
  maxFailures: number
  windowMs: number
  blockMs: number
  maxTracked: number
}

interface Entry {
  failures: number
  windowStart: number
  blockedUntil: number
}

/** Counts failed authentications per address. */
export class FailureLimiter {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly limits: FailureLimits,
    private readonly now: () => number = Date.now
  ) {}

  /** Milliseconds the address is still blocked for; 0 when it may try. */
  blockedFor(address: string): number {
    const entry = this.entries.get(address)
    return entry ? Math.max(0, entry.blockedUntil - this.now()) : 0
  }

  /** Record a failure; returns true when this failure starts a block. */
  fail(address: string): boolean {
    const now = this.now()
    let entry = this.entries.get(address)
    if (!entry || now - entry.windowStart > this.limits.windowMs) {
      entry = { failures: 0, windowStart: now, blockedUntil: entry?.blockedUntil ?? 0 }
    }
    this.entries.delete(address)
    this.entries.set(address, entry)
    entry.failures++
    if (this.entries.size > this.limits.maxTracked) this.entries.delete(this.entries.keys().next().value as string)
    if (entry.failures >= this.limits.maxFailures && entry.blockedUntil <= now) {
      entry.blockedUntil = now + this.limits.blockMs
      entry.failures = 0
      entry.windowStart = now
      return true
    }
    return false
  }
}
