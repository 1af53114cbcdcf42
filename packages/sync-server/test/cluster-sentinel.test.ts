/**
 * Cluster mode through Redis Sentinel: an instance given a `redis-sentinel://` URL asks the
 * sentinel for the primary and serves from it (real redis-server primary and sentinel processes).
 */
import { rmSync } from 'node:fs'
import { connect, type RedisProcess, type SentinelProcess, type ServerProcess, startRedis, startSentinel, startServer, waitConverged } from '@quire/testkit'
import { afterEach, describe, expect, it } from 'vitest'

const started: Array<RedisProcess | ServerProcess> = []
afterEach(async () => {
  for (const proc of started.splice(0).reverse()) {
    if (proc.proc.exitCode === null && proc.proc.signalCode === null) await proc.kill('SIGKILL')
    rmSync('dataDir' in proc ? proc.dataDir : proc.dir, { recursive: true, force: true })
  }
})

describe('cluster mode through Sentinel', () => {
  it('CL13: instances given a Sentinel URL find the primary through it, serve and relay, and are ready', async () => {
    const primary = await startRedis()
    started.push(primary)
    const sentinel: SentinelProcess = await startSentinel(primary.port)
    started.push(sentinel)
    const instances = [await startServer({ args: ['--redis', sentinel.sentinelUrl] }), await startServer({ args: ['--redis', sentinel.sentinelUrl] })]
    started.push(...instances)
    for (const instance of instances) expect((await fetch(`${instance.httpUrl}/readyz`)).status).toBe(200)
    const [a, b] = instances.map((instance) => connect(instance.wsUrl, 'through/sentinel'))
    await Promise.all([a!.synced(), b!.synced()])
    a!.text.insert(0, 'typed on A. ')
    b!.text.insert(0, 'typed on B. ')
    await waitConverged([a!, b!])
    expect(a!.text.toString()).toContain('typed on A.')
    expect(a!.text.toString()).toContain('typed on B.')
    a!.destroy()
    b!.destroy()
  })

  it('CL13/CL7: the persistence check applies to the primary the sentinel names', async () => {
    const primary = await startRedis({ args: ['--appendfsync', 'everysec'] })
    started.push(primary)
    const sentinel = await startSentinel(primary.port)
    started.push(sentinel)
    const refused = await startServer({ args: ['--redis', sentinel.sentinelUrl] }).then(
      (server) => {
        started.push(server)
        return undefined
      },
      (error: Error) => error
    )
    expect(refused?.message).toMatch(/appendfsync/)
  })

  it('CL13: a malformed Sentinel URL is refused, naming the form', async () => {
    const bad = await startServer({ args: ['--redis', 'redis-sentinel://127.0.0.1:1'] }).then(
      (server) => {
        started.push(server)
        return undefined
      },
      (error: Error) => error
    )
    expect(bad?.message).toMatch(/redis-sentinel:\/\/HOST:PORT/)
  })
})
