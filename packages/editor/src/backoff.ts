/**
 * Reconnection with jittered backoff. y-websocket backs off exponentially but without jitter, so
 * after a server restart every client would reconnect in the same instant; spreading the retries
 * keeps a recovering server from being stampeded. The editor runs its own retries (the provider
 * is told never to reconnect after a server close) instead of steering the provider's timer.
 */

/** Tuning for {@link backoffDelay}. */
export interface BackoffOptions {
  /** Delay before the first retry, in milliseconds. */
  base: number
  /** Longest delay between retries, in milliseconds. */
  cap: number
}

/** Defaults: a blip is retried within a fraction of a second, an outage every few seconds. */
export const DEFAULT_BACKOFF: BackoffOptions = { base: 200, cap: 5000 }

/**
 * The delay before retry number `attempt` (1-based): the exponential step
 * `min(cap, base * 2^(attempt-1))`, then a random point in its upper half ("equal jitter"),
 * so retries spread out but never come sooner than half the step.
 */
export function backoffDelay(attempt: number, { base, cap }: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const step = Math.min(cap, base * 2 ** Math.max(0, attempt - 1))
  return Math.round(step / 2 + random() * (step / 2))
}

/**
 * Calls `connect` after {@link backoffDelay}, one retry at a time. The attempt count grows with
 * each retry and starts over once a connection proves useful ({@link Reconnector.succeeded}), so
 * a server that accepts and then closes at once is backed off like one that refuses.
 */
export class Reconnector {
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly connect: () => void,
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random
  ) {}

  /** Plan the next attempt; returns its delay in milliseconds. A retry already planned is replaced. */
  schedule(): number {
    this.cancel()
    this.#attempt++
    const delay = backoffDelay(this.#attempt, this.options, this.random)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.connect()
    }, delay)
    return delay
  }

  /** A connection synced: the next outage starts from the shortest delay again. */
  succeeded(): void {
    this.#attempt = 0
  }

  /** Drop the planned retry, if any. */
  cancel(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Whether a retry is planned. */
  get pending(): boolean {
    return this.#timer !== undefined
  }
}
