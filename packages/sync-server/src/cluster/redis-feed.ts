/**
 * Cluster mode's {@link RemoteFeed}: one {@link StreamFollower} per document in memory, fed by the
 * documents' Redis channels. Besides doorbells, every follower reads again when the subscription
 * connection comes back (whatever was published meanwhile is lost) and whenever a periodic, cheap
 * look at the documents' highest seqs shows one behind: so even a doorbell lost without a
 * reconnect delays an update by at most {@link CHECK_INTERVAL_MS}, and never loses it.
 */
import type { Logger } from 'pino'
import { Counter, type Registry } from 'prom-client'
import type { RemoteFeed, RemoteFollow } from '../documents/remote.js'
import type { RedisStore } from '../storage/redis.js'
import { type Arrivals, StreamFollower } from './stream-follower.js'

/** How often the highest seq of every followed document is looked at, in case a doorbell was lost. */
export const CHECK_INTERVAL_MS = 2_000

/** Feeds the documents in memory with what other instances store and send. */
export class RedisFeed implements RemoteFeed {
  private readonly followers = new Map<string, StreamFollower>()
  private readonly timer: NodeJS.Timeout
  private readonly arrivals: Arrivals

  constructor(
    private readonly store: RedisStore,
    private readonly log: Logger,
    registry: Registry
  ) {
    const entries = new Counter({
      name: 'quire_cluster_entries_total',
      help: "Log entries other instances stored, applied here, by how they came: carried by their doorbell, or read from Redis' stream",
      labelNames: ['via'],
      registers: [registry]
    })
    this.arrivals = { carried: entries.labels('doorbell'), read: entries.labels('read') }
    store.onMessage((name, message) => this.followers.get(name)?.heard(message))
    store.onReconnect(() => {
      log.info({ documents: this.followers.size }, 'Redis subscription back; reading what was missed')
      for (const follower of this.followers.values()) follower.check()
    })
    this.timer = setInterval(() => void this.checkAll(), CHECK_INTERVAL_MS)
    this.timer.unref()
  }

  async follow(name: string): Promise<RemoteFollow> {
    const follower = new StreamFollower(name, this.store, this.log, this.arrivals, (stopped) => this.stopped(stopped))
    this.followers.set(name, follower)
    try {
      await this.store.subscribe(name)
    } catch (error) {
      follower.stop()
      throw error
    }
    return follower
  }

  /** Stop looking; the store is closed by its owner. */
  close(): void {
    clearInterval(this.timer)
  }

  private stopped(follower: StreamFollower): void {
    if (this.followers.get(follower.name) !== follower) return
    this.followers.delete(follower.name)
    this.store.unsubscribe(follower.name).catch(() => {})
  }

  private async checkAll(): Promise<void> {
    const followers = [...this.followers.values()]
    // Only the command connection is needed: with the subscription down, doorbells are lost and this is what finds what they rang for.
    if (followers.length === 0 || !this.store.commandsReady) return
    try {
      const seqs = await this.store.lastSeqs(followers.map((follower) => follower.name))
      followers.forEach((follower, i) => follower.check(seqs[i]))
    } catch (error) {
      this.log.debug({ err: error }, 'looking at the shared logs failed')
    }
  }
}
