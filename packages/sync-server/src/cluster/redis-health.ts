/**
 * How Redis answers, for `/readyz` and the metrics (CL6): a ping every second, its round trip in
 * `quire_redis_roundtrip_seconds`. Redis counts as reachable while both connections are up and a
 * ping came back within the last {@link STALE_AFTER_MS}; a paused or unreachable Redis makes the
 * instance not ready, so a load balancer sends new clients elsewhere.
 */
import { Histogram, type Registry } from 'prom-client'
import type { RedisStore } from '../storage/redis.js'

const PING_EVERY_MS = 1_000
/** A Redis that has not answered a ping for this long is taken as unreachable. */
export const STALE_AFTER_MS = 3_000

/** Pings Redis in the background and says whether it answers. */
export class RedisHealth {
  private lastAnswer = performance.now()
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private readonly roundTrip: Histogram
  private readonly answered = new Set<(sentAt: number) => void>()

  constructor(
    private readonly store: RedisStore,
    registry: Registry
  ) {
    this.roundTrip = new Histogram({
      name: 'quire_redis_roundtrip_seconds',
      help: 'Round trip of a PING to Redis (cluster mode), every second',
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25, 1],
      registers: [registry]
    })
    this.schedule()
  }

  /** Redis answered recently, on both connections. */
  get ok(): boolean {
    return this.store.connected && performance.now() - this.lastAnswer < STALE_AFTER_MS
  }

  /**
   * Call `callback` with the time each answered ping was sent (performance.now()). A failed write
   * keeps `/readyz` at 503 until a write succeeds (OP2); behind a load balancer that stops sending
   * clients, no write would ever come, so a ping sent after the failure and answered counts as
   * storage working again. (Not only a ping after an outage: an outage may be shorter than one
   * ping interval.)
   */
  onAnswered(callback: (sentAt: number) => void): void {
    this.answered.add(callback)
  }

  /** Stop pinging. */
  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => void this.ping(), PING_EVERY_MS)
    this.timer.unref()
  }

  private async ping(): Promise<void> {
    const sentAt = performance.now()
    try {
      this.roundTrip.observe(await this.store.ping())
      this.lastAnswer = performance.now()
      if (this.ok) for (const callback of this.answered) callback(sentAt)
    } catch {
      // Not ready until it answers again.
    }
    this.schedule()
  }
}
