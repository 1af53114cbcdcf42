/**
 * Cluster mode when Redis pauses, goes away or drops a subscription: nothing is acknowledged or
 * relayed until it answers, clients are told with retryable codes, and everything resumes.
 */
import { connect, redisCli, startServer, startTcpProxy, type TcpProxy, waitConverged, waitFor } from '@quire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { AckWriter } from './helpers/ack-writer.js'
import { startCluster, type TestCluster } from './helpers/cluster.js'

let cluster: TestCluster | undefined
let proxy: TcpProxy | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
  await proxy?.close()
  proxy = undefined
})

// Long enough to see /readyz turn 503 (about three seconds) with room to spare on a loaded machine.
const PAUSE_MS = 8_000
const readyz = async (httpUrl: string) => (await fetch(`${httpUrl}/readyz`)).status
// Every code a client retries after (C2): 1001, 1011, 1013 and the 45xx band.
const retryable = (code: number) => [1001, 1006, 1011, 1013].includes(code) || (code >= 4500 && code <= 4599)

describe('cluster outages', () => {
  it('CL6: a paused Redis means no relay and no acknowledgement until it resumes, and /readyz 503 meanwhile', async () => {
    cluster = await startCluster(2)
    const [a, b] = cluster.instances
    const writer = new AckWriter('paused', 'w')
    await writer.connect(a!.wsUrl)
    const readerA = connect(a!.wsUrl, 'paused')
    const readerB = connect(b!.wsUrl, 'paused')
    await Promise.all([readerA.synced(), readerB.synced()])
    writer.write(1)
    await waitFor(() => writer.acked.length === 1 && readerB.text.toString() === '<w-1>', 'the first edit to be acknowledged and relayed')

    // The pause ends by itself: Redis 7.0 leaves clients paused by CLIENT PAUSE ALL waiting after CLIENT UNPAUSE.
    redisCli(cluster.redis.port, 'CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL')
    writer.write(2)
    // Readiness turning 503 takes three seconds of unanswered pings: the edit had that long to leak.
    await waitFor(async () => (await readyz(a!.httpUrl)) === 503, '/readyz to answer 503 while Redis is paused', PAUSE_MS)
    expect(writer.acked).toEqual(['<w-1>'])
    expect(readerA.text.toString()).toBe('<w-1>')
    expect(readerB.text.toString()).toBe('<w-1>')
    await waitFor(() => writer.acked.length === 2, 'the edit to be acknowledged once Redis resumes')
    await waitFor(() => readerA.text.toString() === '<w-1><w-2>' && readerB.text.toString() === '<w-1><w-2>', 'the edit to be relayed once Redis resumes')
    await waitFor(async () => (await readyz(a!.httpUrl)) === 200, '/readyz to answer 200 again')
    expect(writer.closed).toBeUndefined()
    writer.close()
    readerA.destroy()
    readerB.destroy()
  })

  it('CL6: an unreachable Redis: nothing acknowledged or relayed, retryable closes, /readyz 503, and everything resumes when it returns', async () => {
    cluster = await startCluster(2)
    const [a, b] = cluster.instances
    const writer = new AckWriter('outage', 'w')
    await writer.connect(a!.wsUrl)
    const reader = connect(b!.wsUrl, 'outage')
    const codes: number[] = []
    reader.provider.on('connection-close', (event: { code: number } | null) => event && codes.push(event.code))
    await reader.synced()
    writer.write(1)
    await waitFor(() => writer.acked.length === 1 && reader.text.toString() === '<w-1>', 'the first edit to be acknowledged and relayed')

    const { dir, port } = cluster.redis
    await cluster.redis.kill('SIGKILL')
    writer.write(2)
    await waitFor(() => writer.closed !== undefined, 'the writer to be told its write failed', 20_000)
    expect(retryable(writer.closed!.code), `close code ${writer.closed!.code}`).toBe(true)
    expect(writer.acked).toEqual(['<w-1>'])
    await waitFor(async () => (await readyz(a!.httpUrl)) === 503 && (await readyz(b!.httpUrl)) === 503, 'both instances to answer /readyz with 503', 20_000)
    expect(reader.text.toString()).toBe('<w-1>')
    // Coming back while Redis is still away is refused with a retryable code, not served empty.
    const early = new AckWriter('outage', 'e')
    await early.connect(a!.wsUrl).catch(() => {})
    await waitFor(() => early.closed !== undefined, 'the early connection to be refused')
    expect(retryable(early.closed!.code), `close code ${early.closed!.code}`).toBe(true)

    const { startRedis } = await import('@quire/testkit')
    cluster.redis = await startRedis({ dir, port })
    await waitFor(async () => (await readyz(a!.httpUrl)) === 200 && (await readyz(b!.httpUrl)) === 200, 'both instances ready again', 20_000)
    await writer.connect(a!.wsUrl)
    await waitFor(() => writer.acked.includes('<w-2>'), 'the resent edit to be acknowledged')
    await waitFor(() => reader.text.toString() === '<w-1><w-2>', 'the reader on the other instance to get it')
    expect(codes.every(retryable), `reader close codes ${codes}`).toBe(true)
    writer.close()
    reader.destroy()
  })

  it('CL4: a killed subscription connection is caught up from the stream', async () => {
    cluster = await startCluster(2)
    const [a, b] = cluster.instances
    const writer = connect(a!.wsUrl, 'subscription')
    const reader = connect(b!.wsUrl, 'subscription')
    await Promise.all([writer.synced(), reader.synced()])
    writer.text.insert(0, 'before.')
    await waitFor(() => reader.text.toString() === 'before.', 'the first edit on the other instance')
    for (let round = 1; round <= 3; round++) {
      const killed = Number(redisCli(cluster.redis.port, 'CLIENT', 'KILL', 'TYPE', 'pubsub').trim())
      expect(killed).toBeGreaterThanOrEqual(2)
      // Typed while instance B's subscription is down: its doorbells are lost.
      writer.text.insert(writer.text.length, ` during ${round}.`)
      await waitFor(() => reader.text.toString() === writer.text.toString(), `round ${round}: the reader to catch up`)
    }
    await waitFor(() => b!.logs.filter((line) => String(line.msg).startsWith('Redis subscription back')).length >= 3, 'instance B to log three resubscriptions')
    writer.destroy()
    reader.destroy()
  })

  it("CL12: connections to Redis that go silent without closing are cut and made again: the instance's readers get what others type, and its writers are stored", async () => {
    cluster = await startCluster(1)
    const a = cluster.instances[0]!
    // Instance B reaches Redis through a proxy that can drop its connections without a word.
    proxy = await startTcpProxy(cluster.redis.port)
    const b = await startServer({ args: ['--redis', `redis://127.0.0.1:${proxy.port}`, '--redis-timeout-ms', '2000'] })
    cluster.instances.push(b)
    const writerA = connect(a.wsUrl, 'silent')
    const writerB = connect(b.wsUrl, 'silent')
    const readerB = connect(b.wsUrl, 'silent')
    const clients = [writerA, writerB, readerB]
    await Promise.all(clients.map((client) => client.synced()))
    writerA.text.insert(0, '<a-1>')
    await waitConverged(clients, '<a-1>')
    const before = proxy.connections

    // B's connections now hold whatever is sent on them, for good: its doorbells, reads, pings and appends.
    proxy.blackhole()
    writerA.text.insert(writerA.text.length, '<a-2>')
    writerB.text.insert(0, '<b-1>')
    await waitFor(() => readerB.text.toString().includes('<a-2>'), "B's reader to get what was typed on A", 30_000)
    await waitFor(() => [writerA, readerB].every((client) => client.text.toString().includes('<b-1>')), 'what was typed on B to be stored and relayed', 30_000)
    await waitConverged(clients)
    expect(proxy.connections, 'B made new connections to Redis').toBeGreaterThanOrEqual(before + 2)
    // What was typed is stored: a client of A that comes now finds it.
    const fresh = connect(a.wsUrl, 'silent')
    await fresh.synced()
    await waitConverged([fresh, writerA])
    expect(fresh.text.toString()).toContain('<b-1>')
    for (const client of [...clients, fresh]) client.destroy()
  })
})
