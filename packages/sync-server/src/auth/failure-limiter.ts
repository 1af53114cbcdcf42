/**
 * Failed authentications. A token that could be a guess (its signature did not verify) counts
 * against the client's address; past `maxFailures` distinct ones within `windowMs` the address
 * is refused (429) for `blockMs`. A token that failed is remembered with its answer, so that an
 * old client retrying the same expired or wrong token forever (y-websocket 1.x and 2.x reconnect
 * whatever they are told) gets the same answer cheaply and counts once, and cannot lock out
 * the people who share its address. Memory is bounded: at most `maxTracked` addresses and as
 * many tokens, oldest forgotten first.
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

/** Counts failed authentications per address and remembers what each failed token got (`V`). */
export class FailureLimiter<V> {
  private readonly addresses = new Map<string, Entry>()
  private readonly tokens = new Map<string, V>()

  constructor(
    private readonly limits: FailureLimits,
    private readonly now: () => number = Date.now
  ) {}

  /** Milliseconds the address is still blocked for; 0 when it may try. */
  blockedFor(address: string): number {
    const entry = this.addresses.get(address)
    return entry ? Math.max(0, entry.blockedUntil - this.now()) : 0
  }

  /** The answer the token with this fingerprint got when it failed; undefined if it has not (lately). */
  previous(fingerprint: string): V | undefined {
    return this.tokens.get(fingerprint)
  }

  /** Remember that the token with this fingerprint failed and got `answer` (it cannot do better later). */
  remember(fingerprint: string, answer: V): void {
    remember(this.tokens, fingerprint, answer, this.limits.maxTracked)
  }

  /** Count one failure that could be a guess against `address`; returns true when it starts a block. */
  count(address: string): boolean {
    const now = this.now()
    let entry = this.addresses.get(address)
    if (!entry || now - entry.windowStart > this.limits.windowMs) {
      entry = { failures: 0, windowStart: now, blockedUntil: entry?.blockedUntil ?? 0 }
    }
    remember(this.addresses, address, entry, this.limits.maxTracked)
    entry.failures++
    if (entry.failures >= this.limits.maxFailures && entry.blockedUntil <= now) {
      entry.blockedUntil = now + this.limits.blockMs
      entry.failures = 0
      entry.windowStart = now
      return true
    }
    return false
  }
}

// Re-inserting moves a key to the end, so the first key is the one used longest ago.
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > max) map.delete(map.keys().next().value as string)
}
