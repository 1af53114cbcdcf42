/**
 * The HTTP document API, the admin listing and document history in cluster mode: what one
 * instance stores through Redis, another reads, lists and opens (real processes, real Redis).
 */
import { join } from 'node:path'
import { connect, readMetric, runCli, waitConverged, waitFor } from '@quire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { startCluster, type TestCluster } from './helpers/cluster.js'
import { eventsOf, startReceiver } from './helpers/webhook-receiver.js'

const ADMIN = 'cluster-api-admin-token-0123456789'

let cluster: TestCluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

const call = async (base: string, method: string, path: string, body?: string) => {
  const response = await fetch(base + path, { method, body, headers: { Authorization: `Bearer ${ADMIN}` } })
  return { status: response.status, text: await response.text() }
}

describe('cluster API and history', () => {
  it('CL3/AP1/AP7/HS1/BK1: a document written over HTTP on one instance is read, listed and versioned on another', async () => {
    // Versions cut after 200 ms without a change, so the test need not wait long.
    cluster = await startCluster(2, ['--admin-token', ADMIN, '--history-idle-ms', '200', '--history-max-ms', '1000'])
    const [a, b] = cluster.instances.map((instance) => instance.httpUrl)
    expect((await call(a!, 'PUT', '/api/docs/team/plan', 'written on A')).status).toBe(201)
    expect(await call(b!, 'GET', '/api/docs/team/plan')).toEqual({ status: 200, text: 'written on A' })
    expect((await call(b!, 'PUT', '/api/docs/team/other', 'written on B')).status).toBe(201)
    const listed = JSON.parse((await call(a!, 'GET', '/api/admin/docs?prefix=team/')).text) as { documents: Array<{ name: string }> }
    expect(listed.documents.map((doc) => doc.name)).toEqual(['team/other', 'team/plan'])

    // A client typing on A: the versions its instance cuts are listed and opened on B.
    const writer = connect(cluster.instances[0]!.wsUrl, 'team/plan')
    await writer.synced()
    writer.text.insert(writer.text.length, ', then typed')
    let versions: Array<{ id: string }> = []
    await waitFor(
      async () => {
        versions = (JSON.parse((await call(b!, 'GET', '/api/docs/team/plan/versions')).text) as { versions: Array<{ id: string }> }).versions ?? []
        return versions.length > 0 && (await call(b!, 'GET', `/api/docs/team/plan/versions/${versions[0]!.id}`)).text === 'written on A, then typed'
      },
      'a version holding the typing, opened on the other instance',
      30_000,
      100
    )
    writer.destroy()
    // BK1: no online backup of Redis; the error and `quire backup` say what to do instead.
    const refused = await call(a!, 'POST', '/api/admin/backup')
    expect(refused.status).toBe(501)
    expect(refused.text).toContain('BGSAVE')
    const cli = await runCli(['backup', '--url', a!, '--token', ADMIN, '--to', join(cluster.redis.dir, 'no-backup')])
    expect(cli.code).not.toBe(0)
    expect(cli.stderr).toContain('BGSAVE')
  })
})

describe('cluster deletion', () => {
  it('CL11/AP7: a deletion on one instance closes the clients of every instance with 4410, and no instance brings the document back', async () => {
    cluster = await startCluster(2, ['--admin-token', ADMIN])
    const [a, b] = cluster.instances.map((instance) => instance.httpUrl)
    const onA = connect(cluster.instances[0]!.wsUrl, 'team/gone')
    const onB = connect(cluster.instances[1]!.wsUrl, 'team/gone')
    await Promise.all([onA.synced(), onB.synced()])
    const closes = new Map<string, number[]>([
      ['A', []],
      ['B', []]
    ])
    onA.provider.on('connection-close', (event: { code: number } | null) => event && closes.get('A')!.push(event.code))
    onB.provider.on('connection-close', (event: { code: number } | null) => event && closes.get('B')!.push(event.code))
    onA.text.insert(0, 'old text')
    await waitFor(() => onB.text.toString() === 'old text', 'the text on B')
    expect((await call(a!, 'DELETE', '/api/admin/docs/team/gone')).status).toBe(200)
    await waitFor(() => closes.get('B')!.includes(4410), 'the client on the other instance to be closed with 4410', 15_000)
    expect(closes.get('A')).toContain(4410)
    // B's copy is gone: it neither serves the old text nor writes it back.
    expect((await call(b!, 'GET', '/api/docs/team/gone')).status).toBe(404)
    const fresh = connect(cluster.instances[1]!.wsUrl, 'team/gone')
    await fresh.synced()
    expect(fresh.text.toString()).toBe('')
    fresh.text.insert(0, 'new text')
    await waitFor(async () => (await call(a!, 'GET', '/api/docs/team/gone')).text === 'new text', 'the new document on A')
    for (const client of [onA, onB, fresh]) client.destroy()
  })
})

describe('cluster history', () => {
  it('HS13/HS1: two instances cutting and naming versions of one document at once keep one consistent history', async () => {
    // Versions cut after 100 ms without a change, or every second while typing: both instances cut all along.
    cluster = await startCluster(2, ['--admin-token', ADMIN, '--history-idle-ms', '100', '--history-max-ms', '1000', '--rate-limit', '0'])
    const bases = cluster.instances.map((instance) => instance.httpUrl)
    const writers = cluster.instances.map((instance) => connect(instance.wsUrl, 'team/history'))
    await Promise.all(writers.map((writer) => writer.synced()))
    const labels: string[] = []
    for (let i = 0; i < 40; i++) {
      const writer = writers[i % 2]!
      writer.text.insert(writer.text.length, `<${i}>`)
      if (i % 8 === 7) {
        // Name the live text on one instance, then on the other: each cuts a version of its own.
        for (const [at, base] of bases.entries()) {
          const label = `${at === 0 ? 'A' : 'B'} ${i}`
          const response = await call(base, 'PUT', '/api/docs/team/history/versions/live/label', JSON.stringify({ label }))
          expect(response.status, response.text).toBe(200)
          labels.push(label)
        }
      }
      // Each edit reaches the other instance before the next: both take edits and cut all along.
      await waitFor(() => writers[(i + 1) % 2]!.text.toString().includes(`<${i}>`), `edit ${i} on the other instance`)
    }
    await waitConverged(writers)
    const final = writers[0]!.text.toString()
    type Listed = { versions: Array<{ id: string; label: string | null }> }
    let listed: Listed = { versions: [] }
    // Once both are idle, the newest version holds the final text, on either instance.
    await waitFor(
      async () => {
        listed = JSON.parse((await call(bases[1]!, 'GET', '/api/docs/team/history/versions')).text) as Listed
        return listed.versions.length > 0 && (await call(bases[0]!, 'GET', `/api/docs/team/history/versions/${listed.versions[0]!.id}`)).text === final
      },
      'the newest version to hold the final text',
      30_000,
      100
    )
    const ids = listed.versions.map((version) => Number(version.id)).reverse()
    expect(ids, 'versions 1..n, none lost or written twice').toEqual(ids.map((_, i) => i + 1))
    expect(listed.versions.map((version) => version.label).filter((label) => label !== null)).toEqual(expect.arrayContaining(labels))
    // Every version opens (on either instance) to a state the document went through: <0> to <k>,
    // k never going back. Versions written over another instance's would open to other text.
    const prefix = (k: number) => Array.from({ length: k + 1 }, (_, j) => `<${j}>`).join('')
    let last = -1
    for (const id of ids) {
      const opened = await call(bases[id % 2]!, 'GET', `/api/docs/team/history/versions/${id}`)
      expect(opened.status, `version ${id}`).toBe(200)
      const k = (opened.text.match(/<\d+>/g) ?? []).length - 1
      expect(opened.text, `version ${id}`).toBe(prefix(k))
      expect(k, `version ${id} goes back`).toBeGreaterThanOrEqual(last)
      last = k
    }
    for (const writer of writers) writer.destroy()
  })
})

describe('cluster restore', () => {
  it('HS9/HS13: restores on one instance racing history writes on another keep every before-restore version', async () => {
    cluster = await startCluster(2, ['--admin-token', ADMIN])
    const [a, b] = cluster.instances.map((instance) => instance.httpUrl) as [string, string]
    const path = '/api/docs/team/restored'
    type View = { id: string; kind: string }
    const texts = ['first text', 'second text']
    const targets: View[] = []
    for (const [i, text] of texts.entries()) {
      expect((await call(a, 'PUT', path, text)).status).toBeLessThan(300)
      const named = await call(a, 'PUT', `${path}/versions/live/label`, JSON.stringify({ label: `target ${i}` }))
      expect(named.status, named.text).toBe(200)
      targets.push(JSON.parse(named.text) as View)
    }
    let live = texts[1]!
    for (let round = 0; round < 12; round++) {
      const target = round % 2
      // B names the live text while A restores: both write the history head at once.
      const [restore, named] = await Promise.all([
        call(a, 'POST', `${path}/versions/${targets[target]!.id}/restore`),
        call(b, 'PUT', `${path}/versions/live/label`, JSON.stringify({ label: `B ${round}` }))
      ])
      expect(restore.status, restore.text).toBe(200)
      expect(named.status, named.text).toBe(200)
      const { before, restored } = JSON.parse(restore.text) as { before: View; restored: View }
      expect([before.kind, restored.kind], `round ${round}`).toEqual(['before-restore', 'restore'])
      expect(Number(before.id), `round ${round}: two versions`).toBeLessThan(Number(restored.id))
      expect((await call(b, 'GET', `${path}/versions/${before.id}`)).text, `round ${round}: the state before the restore`).toBe(live)
      live = texts[target]!
      expect((await call(b, 'GET', `${path}/versions/${restored.id}`)).text, `round ${round}: the restored state`).toBe(live)
    }
    type Listed = { versions: Array<{ id: string; kind: string }> }
    const listed = JSON.parse((await call(a, 'GET', `${path}/versions`)).text) as Listed
    const ids = listed.versions.map((version) => Number(version.id)).reverse()
    expect(ids, 'versions 1..n').toEqual(ids.map((_, i) => i + 1))
    expect(listed.versions.filter((version) => version.kind === 'before-restore')).toHaveLength(12)
    expect(listed.versions.filter((version) => version.kind === 'restore')).toHaveLength(12)
  })
})

describe('cluster webhooks', () => {
  it('WH1/WH2/CL3: each change is reported once, by the instance that stored it, however many instances serve the document', async () => {
    const hooks = await startReceiver()
    try {
      cluster = await startCluster(2, [
        '--admin-token',
        ADMIN,
        '--webhook-url',
        hooks.url,
        '--webhook-secret',
        'cluster-webhook-secret-0123456789',
        '--webhook-debounce-ms',
        '100'
      ])
      const [a, b] = cluster.instances
      const delivered = async (instance: typeof a) => (await readMetric(instance!.httpUrl, 'quire_webhook_delivered_total')) ?? 0
      const queued = async (instance: typeof a) => (await readMetric(instance!.httpUrl, 'quire_webhook_queued')) ?? 0
      const settled = async () => (await queued(a)) === 0 && (await queued(b)) === 0
      const onA = connect(a!.wsUrl, 'team/hooked')
      const onB = connect(b!.wsUrl, 'team/hooked')
      await Promise.all([onA.synced(), onB.synced()])
      // Only A's client types: B relays every change and reports none.
      for (let i = 0; i < 10; i++) onA.text.insert(onA.text.length, `<a${i}>`)
      await waitConverged([onA, onB])
      await waitFor(async () => eventsOf(hooks.requests, 'document.changed').length > 0 && (await settled()), 'A’s events')
      expect(eventsOf(hooks.requests, 'document.created')).toHaveLength(1)
      expect(await delivered(b)).toBe(0)
      const fromA = await delivered(a)
      // Then B's client types: B reports its change, and nobody reports the document created again.
      onB.text.insert(onB.text.length, '<b>')
      await waitConverged([onA, onB])
      await waitFor(async () => (await delivered(b)) > 0 && (await settled()), 'B’s event')
      expect(eventsOf(hooks.requests, 'document.created')).toHaveLength(1)
      expect(await delivered(a)).toBe(fromA)
      // A deletion on A is reported once, though both instances close their clients.
      expect((await call(a!.httpUrl, 'DELETE', '/api/admin/docs/team/hooked')).status).toBe(200)
      await waitFor(async () => eventsOf(hooks.requests, 'document.deleted').length === 1 && (await settled()), 'the deleted event')
      expect(eventsOf(hooks.requests, 'document.deleted')).toHaveLength(1)
      for (const client of [onA, onB]) client.destroy()
    } finally {
      await hooks.close()
    }
  })
})
