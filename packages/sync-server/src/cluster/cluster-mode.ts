/**
 * Cluster mode (`--redis`): the Redis store, the feed of what other instances store and send, and
 * the health of the connection, opened together and closed together. Start-up refuses Redis
 * persistence settings that can lose acknowledged writes unless told to accept the risk (CL7).
 */
import type { Logger } from 'pino'
import type { Metrics } from '../metrics.js'
import { RedisOpenError, RedisStore } from '../storage/redis.js'
import { RedisFeed } from './redis-feed.js'
import { RedisHealth } from './redis-health.js'

/** An instance's part of the cluster. */
export interface ClusterMode {
  store: RedisStore
  feed: RedisFeed
  /** Redis answers (for `/readyz`). */
  healthy(): boolean
  /** Call `callback` with the time each answered ping was sent. */
  onAnswered(callback: (sentAt: number) => void): void
  /** Stop the feed and health checks and close the store. */
  close(): Promise<void>
}

/**
 * Connect to Redis at `url` and check its persistence; rejects with {@link RedisOpenError}. A
 * connection leaving a command unanswered for `timeoutMs` is cut and made again.
 */
export async function openClusterMode(url: string, acceptRisk: boolean, log: Logger, metrics: Metrics, timeoutMs?: number): Promise<ClusterMode> {
  const store = await RedisStore.open(url, timeoutMs)
  let problems: string[]
  try {
    problems = await store.persistenceProblems()
  } catch (error) {
    await store.close()
    throw new RedisOpenError(`cannot read Redis persistence settings (CONFIG GET): ${error instanceof Error ? error.message : String(error)}`, error)
  }
  if (problems.length > 0 && !acceptRisk) {
    await store.close()
    throw new RedisOpenError(`refusing to start: ${problems.join('; ')}. Fix the Redis configuration, or pass --redis-accept-risk to run anyway`)
  }
  for (const problem of problems) log.warn({ problem }, 'Redis persistence can lose acknowledged writes (--redis-accept-risk)')
  const feed = new RedisFeed(store, log, metrics.registry)
  const health = new RedisHealth(store, metrics.registry)
  return {
    store,
    feed,
    healthy: () => health.ok,
    onAnswered: (callback) => health.onAnswered(callback),
    close: async () => {
      feed.close()
      health.stop()
      await store.close()
    }
  }
}
