/**
 * Reconnection backoff with jitter. y-websocket backs off exponentially but without jitter, so
 * after a server restart every client would reconnect in the same instant; spreading the retries
 * keeps a recovering server from being stampeded.
 */
import type { WebsocketProvider } from 'y-websocket'

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
 * Make `provider` wait {@link backoffDelay} between attempts. The provider computes
 * `min(2^n * 100, maxBackoffTime)` right after emitting `connection-close`, so setting
 * `maxBackoffTime` there to a value below the exponential step decides the delay.
 */
export function jitteredBackoff(provider: WebsocketProvider, options: BackoffOptions = DEFAULT_BACKOFF): () => void {
  const onClose = (): void => {
    provider.maxBackoffTime = backoffDelay(provider.wsUnsuccessfulReconnects + 1, options)
  }
  provider.on('connection-close', onClose)
  return () => provider.off('connection-close', onClose)
}
