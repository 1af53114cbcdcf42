/**
 * Cluster mode with real processes: instances sharing documents through a real redis-server,
 * stock y-websocket clients on each.
 */

import { rmSync } from 'node:fs'
import { connect, readMetric, redisCli, runCli, type ServerProcess, startRedis, startRedisCluster, startServer, waitConverged, waitFor } from '@quire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { startCluster, type TestCluster } from './helpers/cluster.js'

let cluster: TestCluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

describe('cluster relay', () => {
  it('CL3: a change typed on one instance reaches clients on the others, and all converge', async () => {
    cluster = await startCluster(3)
    const clients = cluster.instances.map((instance) => connect(instance.wsUrl, 'shared'))
    await Promise.all(clients.map((client) => client.synced()))
    clients[0]!.text.insert(0, 'from A. ')
    await waitConverged(clients, 'from A. ')
    clients[1]!.text.insert(0, 'B. ')
    clients[2]!.text.insert(clients[2]!.text.length, 'C.')
    await waitConverged(clients)
    expect(clients[0]!.text.toString()).toContain('B. ')
    expect(clients[0]!.text.toString()).toContain('C.')
    // A client arriving later, on any instance, gets it all.
    const late = connect(cluster.instances[1]!.wsUrl, 'shared')
    await late.synced()
    await waitConverged([...clients, late])
    for (const client of [...clients, late]) client.destroy()
  })

  it('CL4: an entry small enough to ride on its doorbell is applied without a read; a larger one is read from the stream', async () => {
    cluster = await startCluster(2)
    const [a, b] = cluster.instances.map((instance) => connect(instance.wsUrl, 'carried'))
    await Promise.all([a!.synced(), b!.synced()])
    const arrived = async (via: string) => (await readMetric(cluster!.instances[1]!.httpUrl, `quire_cluster_entries_total{via="${via}"}`)) ?? 0
    // One edit at a time, each its own entry: B is exactly one entry behind at every doorbell.
    for (let i = 0; i < 20; i++) {
      a!.text.insert(a!.text.length, `${i}.`)
      await waitConverged([a!, b!])
    }
    const typed = { doorbell: await arrived('doorbell'), read: await arrived('read') }
    // Every entry is applied once; the two-second check may read one that its doorbell was about to bring.
    expect(typed.doorbell + typed.read, JSON.stringify(typed)).toBe(20)
    expect(typed.doorbell, JSON.stringify(typed)).toBeGreaterThanOrEqual(18)
    a!.text.insert(0, 'x'.repeat(10_000))
    await waitConverged([a!, b!])
    expect(await arrived('read')).toBe(typed.read + 1)
    expect(await arrived('doorbell')).toBe(typed.doorbell)
    a!.destroy()
    b!.destroy()
  })

  it('CL5: presence crosses instances', async () => {
    cluster = await startCluster(2)
    const [a, b] = cluster.instances.map((instance) => connect(instance.wsUrl, 'present'))
    await Promise.all([a!.synced(), b!.synced()])
    a!.provider.awareness.setLocalStateField('user', { name: 'Ada' })
    await waitFor(
      () => [...b!.provider.awareness.getStates().values()].some((state) => (state as { user?: { name?: string } }).user?.name === 'Ada'),
      'Ada to show on the other instance'
    )
    a!.destroy()
    b!.destroy()
  })
})

describe('cluster compaction', () => {
  it('CL2: instances compacting one document at once, all along, lose nothing', async () => {
    cluster = await startCluster(2, ['--compact-every', '2', '--rate-limit', '0'])
    const writers = cluster.instances.map((instance) => connect(instance.wsUrl, 'compacted'))
    await Promise.all(writers.map((writer) => writer.synced()))
    const expected: string[] = []
    for (let i = 0; i < 150; i++) {
      const writer = writers[i % 2]!
      writer.text.insert(writer.text.length, `<${i}>`)
      expected.push(`<${i}>`)
      // Let each edit be its own batch, so both instances append and compact all the time.
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await waitConverged(writers)
    const compactions = await Promise.all(cluster.instances.map((instance) => readMetric(instance.httpUrl, 'quire_compactions_total')))
    expect(
      compactions.every((count) => (count ?? 0) > 0),
      `compactions per instance: ${compactions}`
    ).toBe(true)
    // A third instance reads snapshot and tail straight from Redis.
    const fresh = connect((await cluster.add()).wsUrl, 'compacted')
    await fresh.synced()
    for (const item of expected) expect(fresh.text.toString()).toContain(item)
    expect(Number(redisCli(cluster.redis.port, 'XLEN', 'quire:{compacted}:log'))).toBeLessThan(20)
    for (const client of [...writers, fresh]) client.destroy()
  })
})

describe('Redis Cluster', () => {
  it('CL10: instances on a three-node Redis Cluster share documents spread over its slots, with no cross-slot error', async () => {
    const redisCluster = await startRedisCluster(3)
    const instances: ServerProcess[] = []
    try {
      instances.push(...(await Promise.all([0, 1].map(() => startServer({ args: ['--redis', redisCluster.url, '--compact-every', '3'] })))))
      const names = ['slot/a', 'slot/b', 'slot/c', 'slot/d', 'slot/e', 'slot/f']
      const slots = new Set(names.map((name) => redisCli(redisCluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', `quire:{${name}}:log`).trim()))
      expect(slots.size).toBe(names.length)
      const pairs = names.map((name) => instances.map((instance) => connect(instance.wsUrl, name)))
      await Promise.all(pairs.flat().map((client) => client.synced()))
      for (let i = 0; i < 12; i++) for (const pair of pairs) pair[i % 2]!.text.insert(0, `${i}.`)
      for (const pair of pairs) await waitConverged(pair)
      for (const pair of pairs) expect(pair[0]!.text.length).toBe(12 * 2 + 2)
      // Every node holds some of the documents.
      const keysPerNode = redisCluster.nodes.map((node) => Number(redisCli(node.port, 'DBSIZE').trim()))
      expect(
        keysPerNode.every((count) => count > 0),
        `keys per node: ${keysPerNode}`
      ).toBe(true)
      for (const client of pairs.flat()) client.destroy()
      for (const instance of instances) {
        expect(await instance.kill('SIGTERM')).toBe(0)
        expect(instance.logs.filter((line) => Number(line.level) >= 50)).toEqual([])
      }
    } finally {
      await Promise.all(instances.map((instance) => (instance.proc.exitCode === null ? instance.kill('SIGKILL') : undefined)))
      for (const instance of instances) rmSync(instance.dataDir, { recursive: true, force: true })
      await redisCluster.stop()
    }
  })
})

describe('cluster start-up', () => {
  it('CL7: a Redis that can lose acknowledged writes is refused, naming the setting, unless the risk is accepted', async () => {
    const redis = await startRedis({ args: ['--appendfsync', 'everysec'] })
    try {
      const refused = await runCli(['serve', '--port', '0', '--redis', redis.url], {}, 30_000)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/appendfsync is "everysec", not "always"/)
      expect(refused.stderr).toMatch(/--redis-accept-risk/)
      const accepted = await startServer({ args: ['--redis', redis.url, '--redis-accept-risk'] })
      expect(accepted.logs.some((line) => line.msg?.toString().includes('can lose acknowledged writes') && String(line.problem).includes('appendfsync'))).toBe(
        true
      )
      await accepted.kill('SIGKILL')
      rmSync(accepted.dataDir, { recursive: true, force: true })
      const unreachable = await runCli(['serve', '--port', '0', '--redis', 'redis://127.0.0.1:1'], {}, 30_000)
      expect(unreachable.code).toBe(1)
      expect(unreachable.stderr).toMatch(/cannot reach Redis at 127\.0\.0\.1:1/)
      const bad = await runCli(['serve', '--port', '0', '--redis', 'http://127.0.0.1:1'], {}, 30_000)
      expect(bad.code).toBe(1)
      expect(bad.stderr).toMatch(/redis:\/\//)
    } finally {
      await redis.kill('SIGKILL')
      rmSync(redis.dir, { recursive: true, force: true })
    }
  })
})
