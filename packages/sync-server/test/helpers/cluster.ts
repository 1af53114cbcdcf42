/**
 * A cluster under test: one real redis-server and real `quire serve --redis` processes, each on
 * its own free loopback port. Everything it starts is stopped by `stop()`, by pid.
 */
import { rmSync } from 'node:fs'
import { type RedisProcess, type ServerProcess, startRedis, startServer } from '@quire/testkit'

/** A Redis and the instances sharing it. */
export interface TestCluster {
  redis: RedisProcess
  instances: ServerProcess[]
  /** Start one more instance (extra `args` for it). */
  add(args?: string[]): Promise<ServerProcess>
  /** Stop Redis with SIGKILL and start it again on the same port and directory. */
  restartRedis(): Promise<void>
  /** Stop everything and remove the directories. */
  stop(): Promise<void>
}

/** Start Redis and `count` instances pointed at it. */
export async function startCluster(count: number, args: string[] = []): Promise<TestCluster> {
  const cluster: TestCluster = {
    redis: await startRedis(),
    instances: [],
    async add(extra = []) {
      const instance = await startServer({ args: ['--redis', cluster.redis.url, ...args, ...extra] })
      cluster.instances.push(instance)
      return instance
    },
    async restartRedis() {
      const { dir, port } = cluster.redis
      await cluster.redis.kill('SIGKILL')
      cluster.redis = await startRedis({ dir, port })
    },
    async stop() {
      await Promise.all(
        cluster.instances.map((instance) => (instance.proc.exitCode === null && instance.proc.signalCode === null ? instance.kill('SIGKILL') : undefined))
      )
      for (const instance of cluster.instances) rmSync(instance.dataDir, { recursive: true, force: true })
      await cluster.redis.kill('SIGKILL')
      rmSync(cluster.redis.dir, { recursive: true, force: true })
    }
  }
  await Promise.all(Array.from({ length: count }, () => cluster.add()))
  return cluster
}
