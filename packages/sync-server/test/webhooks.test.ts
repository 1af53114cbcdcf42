/**
 * Webhooks against the real server process and real HTTP receivers on loopback: signed events,
 * created and coalesced changed events, retries, hanging, slow and refusing receivers, a full queue,
 * and the flush at SIGTERM.
 */
import { rmSync } from 'node:fs'
import { connect, readMetric, runCli, type ServerProcess, startServer, waitFor } from '@quire/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { signToken } from '../src/auth/token.js'
import { signatureHeader, verifySignature } from '../src/webhooks/signature.js'
import { eventsOf, type Receiver, startReceiver } from './helpers/webhook-receiver.js'

const SECRET = 'webhook-test-secret-0123456789ab'
const AUTH = 'webhook-auth-secret-0123456789ab'

const cleanups: Array<() => unknown> = []
const folders: string[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const started = await startReceiver(answer)
  cleanups.push(() => started.close())
  return started
}

async function server(urls: string[], args: string[] = []): Promise<ServerProcess> {
  const started = await startServer({ args: [...urls.flatMap((url) => ['--webhook-url', url]), '--webhook-secret', SECRET, ...args] })
  folders.push(started.dataDir)
  cleanups.push(async () => {
    if (started.proc.exitCode === null && started.proc.signalCode === null) await started.kill('SIGKILL')
  })
  return started
}

function client(wsUrl: string, name: string, params: Record<string, string> = {}) {
  const c = connect(wsUrl, name, { params })
  cleanups.push(() => c.destroy())
  return c
}

async function metric(httpUrl: string, name: string): Promise<number> {
  return (await readMetric(httpUrl, name)) ?? 0
}

describe('webhook signatures', () => {
  it('WH1: a signature verifies only for its own body, secret and a recent timestamp', () => {
    const body = '{"type":"document.changed"}'
    const now = 1_800_000_000
    const header = signatureHeader(SECRET, now, body)
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/)
    expect(verifySignature(SECRET, header, body, { now })).toEqual({ ok: true, timestamp: now })
    expect(verifySignature(SECRET, header, `${body} `, { now }).ok).toBe(false)
    expect(verifySignature('another-secret-0123456789', header, body, { now }).ok).toBe(false)
    // A replay ten minutes later is refused even though the signature matches.
    expect(verifySignature(SECRET, header, body, { now: now + 600 })).toEqual({ ok: false, reason: 'timestamp outside the tolerance' })
    expect(verifySignature(SECRET, undefined, body, { now }).ok).toBe(false)
    expect(verifySignature(SECRET, 't=abc,v1=00', body, { now }).ok).toBe(false)
  })
})

describe('webhook events', () => {
  it('WH1 WH2: a new document sends document.created, then one signed document.changed with its stored size and the token user', async () => {
    const hooks = await receiver()
    const quire = await server([hooks.url], ['--auth-secret', AUTH, '--webhook-debounce-ms', '300'])
    const token = await signToken(AUTH, { doc: 'notes/a', access: 'write', expiresInSeconds: 3600, user: 'alice' })
    const writer = client(quire.wsUrl, 'notes/a', { token })
    await writer.synced()
    for (let i = 0; i < 20; i++) writer.text.insert(writer.text.length, `line ${i}\n`)
    await waitFor(() => eventsOf(hooks.requests, 'document.changed').length > 0, 'a document.changed event', 30_000)
    const created = eventsOf(hooks.requests, 'document.created')
    expect(created).toHaveLength(1)
    expect(created[0]).toMatchObject({ document: 'notes/a', users: [{ name: 'alice', verified: true }] })
    for (const request of hooks.requests) {
      const signature = request.headers['quire-signature'] as string
      const verified = verifySignature(SECRET, signature, request.body)
      expect(verified.ok).toBe(true)
      expect(request.headers['quire-timestamp']).toBe(String((verified as { timestamp: number }).timestamp))
      expect(request.headers['content-type']).toBe('application/json')
      expect(request.headers['quire-event']).toBe(JSON.parse(request.body).type)
      expect(request.headers['quire-delivery']).toBe(JSON.parse(request.body).id)
    }
    // Everything typed came in well within one window, but a second window may have caught the tail.
    await waitFor(async () => (await metric(quire.httpUrl, 'quire_webhook_queued')) === 0, 'the queue to empty')
    const changed = eventsOf(hooks.requests, 'document.changed')
    const last = changed.at(-1)!
    expect(last).toMatchObject({ document: 'notes/a', users: [{ name: 'alice', verified: true }] })
    expect(typeof last.size).toBe('number')
    expect(last.size as number).toBeGreaterThan('line 19\n'.length)
    expect(new Date(last.time as string).getTime()).toBeGreaterThan(Date.now() - 60_000)
    expect(changed.length).toBeLessThanOrEqual(3)
    // The size is what the server has stored: after a clean stop, the folder holds the typed text.
    expect(await quire.kill('SIGTERM')).toBe(0)
  })

  it('WH2: changes by several clients in one window make one document.changed naming each (presence names unverified)', async () => {
    const hooks = await receiver()
    const quire = await server([hooks.url], ['--webhook-debounce-ms', '1500'])
    const a = client(quire.wsUrl, 'shared')
    const b = client(quire.wsUrl, 'shared')
    await Promise.all([a.synced(), b.synced()])
    a.provider.awareness.setLocalStateField('user', { name: 'Ann' })
    b.provider.awareness.setLocalStateField('user', { name: 'Bob' })
    // Presence reaches the server before the edits: wait until each sees the other's name.
    await waitFor(() => [...a.provider.awareness.getStates().values()].some((s) => (s as { user?: { name?: string } }).user?.name === 'Bob'), 'presence of Bob')
    await waitFor(() => [...b.provider.awareness.getStates().values()].some((s) => (s as { user?: { name?: string } }).user?.name === 'Ann'), 'presence of Ann')
    a.text.insert(0, 'from Ann. ')
    b.text.insert(0, 'from Bob. ')
    await waitFor(() => eventsOf(hooks.requests, 'document.changed').length > 0, 'a document.changed event', 30_000)
    const [changed] = eventsOf(hooks.requests, 'document.changed')
    expect(changed!.document).toBe('shared')
    expect(changed!.users).toEqual(
      expect.arrayContaining([
        { name: 'Ann', verified: false },
        { name: 'Bob', verified: false }
      ])
    )
    expect(eventsOf(hooks.requests, 'document.created')).toHaveLength(1)
  })

  it('WH2: a document that already had content sends no document.created; every receiver gets every event', async () => {
    const first = await receiver()
    const second = await receiver()
    const quire = await server([first.url, second.url], ['--webhook-debounce-ms', '100', '--unload-grace-ms', '0'])
    const writer = client(quire.wsUrl, 'again')
    await writer.synced()
    writer.text.insert(0, 'one')
    await waitFor(() => eventsOf(first.requests, 'document.changed').length === 1, 'the first change event')
    writer.provider.disconnect()
    // Once unloaded, the document is read back from storage: not new any more.
    await waitFor(async () => (await metric(quire.httpUrl, 'quire_documents_loaded')) === 0, 'the document to unload')
    writer.provider.connect()
    await writer.synced()
    writer.text.insert(3, ' two')
    await waitFor(() => eventsOf(first.requests, 'document.changed').length === 2, 'the second change event')
    await waitFor(() => second.requests.length === first.requests.length, 'the second receiver to catch up')
    expect(eventsOf(first.requests, 'document.created')).toHaveLength(1)
    expect(second.requests.map((r) => JSON.parse(r.body).id).sort()).toEqual(first.requests.map((r) => JSON.parse(r.body).id).sort())
  })

  it("WH2: an HTTP write reports its credential's user; a delete through the admin API sends document.deleted after the pending change", async () => {
    const hooks = await receiver()
    const admin = 'webhook-admin-token-0123456789ab'
    const quire = await server([hooks.url], ['--admin-token', admin, '--webhook-debounce-ms', '600000'])
    const put = await fetch(`${quire.httpUrl}/api/docs/api/made`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'text/plain' },
      body: 'written over HTTP'
    })
    expect(put.status).toBeLessThan(300)
    await waitFor(() => eventsOf(hooks.requests, 'document.created').length === 1, 'document.created')
    const removed = await fetch(`${quire.httpUrl}/api/admin/docs/api/made`, { method: 'DELETE', headers: { Authorization: `Bearer ${admin}` } })
    expect(removed.status).toBe(200)
    await waitFor(() => eventsOf(hooks.requests, 'document.deleted').length === 1, 'document.deleted')
    const types = hooks.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>)
    expect(types.map((e) => e.type)).toEqual(['document.created', 'document.changed', 'document.deleted'])
    expect(types[2]).toMatchObject({ document: 'api/made' })
    expect(types[2]!.size).toBeUndefined()
    // Deleting a name with nothing stored sends nothing.
    expect((await fetch(`${quire.httpUrl}/api/admin/docs/never/there`, { method: 'DELETE', headers: { Authorization: `Bearer ${admin}` } })).status).toBe(404)
    // The name can be used again, and is new again.
    const again = await fetch(`${quire.httpUrl}/api/docs/api/made`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'text/plain' },
      body: 'back'
    })
    expect(again.status).toBeLessThan(300)
    await waitFor(() => eventsOf(hooks.requests, 'document.created').length === 2, 'a second document.created')
    expect(eventsOf(hooks.requests, 'document.deleted')).toHaveLength(1)
  })
})

describe('webhook delivery', () => {
  it('WH3: a receiver that fails (503, then 429) gets the same event again, with backoff, until it accepts it', async () => {
    // Each event is answered 503, then 429, then 200.
    const seen = new Map<string, number>()
    const hooks = await receiver((_index, request) => {
      const id = JSON.parse(request.body).id as string
      const attempt = (seen.get(id) ?? 0) + 1
      seen.set(id, attempt)
      return attempt === 1 ? 503 : attempt === 2 ? 429 : 200
    })
    const quire = await server([hooks.url], ['--webhook-debounce-ms', '50'])
    const writer = client(quire.wsUrl, 'retried')
    await writer.synced()
    writer.text.insert(0, 'x')
    await waitFor(async () => (await metric(quire.httpUrl, 'quire_webhook_delivered_total')) === 2, 'both events to be delivered', 30_000)
    expect([...seen.values()]).toEqual([3, 3])
    for (const id of seen.keys()) {
      const attempts = hooks.requests.filter((r) => JSON.parse(r.body).id === id)
      // Backoff with jitter: 0.25–0.5 s before the second attempt, 0.5–1 s before the third.
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(200)
      expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(450)
      // Each attempt is signed afresh: the receiver could check every one.
      for (const attempt of attempts) expect(verifySignature(SECRET, attempt.headers['quire-signature'] as string, attempt.body).ok).toBe(true)
    }
    const body = await (await fetch(`${quire.httpUrl}/metrics`)).text()
    expect(body).toMatch(/quire_webhook_failures_total\{reason="status_5xx"\} 2/)
    expect(body).toMatch(/quire_webhook_failures_total\{reason="status_4xx"\} 2/)
    expect(await metric(quire.httpUrl, 'quire_webhook_dropped_total')).toBe(0)
  })

  it('WH3: a receiver that refuses (400) is not asked again, and the drop is counted', async () => {
    const hooks = await receiver(() => 400)
    const quire = await server([hooks.url], ['--webhook-debounce-ms', '50'])
    const writer = client(quire.wsUrl, 'refused')
    await writer.synced()
    writer.text.insert(0, 'x')
    await waitFor(async () => (await metric(quire.httpUrl, 'quire_webhook_queued')) === 0 && hooks.requests.length >= 2, 'both events to be refused')
    const body = await (await fetch(`${quire.httpUrl}/metrics`)).text()
    expect(body).toMatch(/quire_webhook_dropped_total\{reason="refused"\} 2/)
    // created and changed, each asked once.
    expect(hooks.requests).toHaveLength(2)
    expect(quire.logs.some((line) => line.msg === 'webhook receiver refused an event; not retried' && line.status === 400)).toBe(true)
  })

  it('WH3 WH4: a receiver that never answers times out and is retried, while a stock client keeps getting every edit promptly', async () => {
    const hooks = await receiver(() => 'hang')
    const quire = await server([hooks.url], ['--webhook-debounce-ms', '0', '--webhook-timeout-ms', '4000'])
    const writer = client(quire.wsUrl, 'busy')
    const reader = client(quire.wsUrl, 'busy')
    await Promise.all([writer.synced(), reader.synced()])
    const delays: number[] = []
    for (let i = 0; i < 30; i++) {
      const started = performance.now()
      writer.text.insert(writer.text.length, `${i};`)
      const expected = writer.text.toString()
      await waitFor(() => reader.text.toString() === expected, `edit ${i} to reach the reader`, 30_000, 1)
      delays.push(performance.now() - started)
    }
    // The receiver holds requests open (up to four at once) the whole time.
    expect(hooks.hanging()).toBeGreaterThan(0)
    const slowest = Math.max(...delays)
    // A relay waiting on a delivery would take the 4 s timeout; a loaded CI machine takes tens of ms.
    expect(slowest).toBeLessThan(2000)
    await waitFor(async () => (await metric(quire.httpUrl, 'quire_webhook_failures_total')) >= 1, 'an attempt to time out', 30_000)
    const body = await (await fetch(`${quire.httpUrl}/metrics`)).text()
    expect(body).toMatch(/quire_webhook_failures_total\{reason="timeout"\} [1-9]/)
    console.log(`WH4: relay delays while the receiver hangs: median ${delays.sort((x, y) => x - y)[15]!.toFixed(1)} ms, max ${slowest.toFixed(1)} ms`)
  })

  it('WH4: a slow receiver (answering after 300 ms) gets every event, and nothing is dropped', async () => {
    const hooks = await receiver(() => ({ status: 204, delayMs: 300 }))
    const quire = await server([hooks.url], ['--webhook-debounce-ms', '0'])
    const writers = ['s1', 's2', 's3'].map((name) => client(quire.wsUrl, name))
    await Promise.all(writers.map((w) => w.synced()))
    for (let i = 0; i < 5; i++) for (const w of writers) w.text.insert(0, `${i}`)
    await waitFor(async () => hooks.requests.length >= 6, 'events to arrive', 30_000)
    await waitFor(async () => (await metric(quire.httpUrl, 'quire_webhook_queued')) === 0, 'the queue to empty', 30_000)
    expect(await metric(quire.httpUrl, 'quire_webhook_delivered_total')).toBe(hooks.requests.length)
    expect(await metric(quire.httpUrl, 'quire_webhook_dropped_total')).toBe(0)
    expect(
      eventsOf(hooks.requests, 'document.created')
        .map((e) => e.document)
        .sort()
    ).toEqual(['s1', 's2', 's3'])
  })

  it('WH5: past --webhook-queue-size, events are dropped, counted and logged, and edits still flow', async () => {
    const hooks = await receiver(() => 'hang')
    const quire = await server([hooks.url], ['--webhook-debounce-ms', '0', '--webhook-queue-size', '3', '--webhook-timeout-ms', '60000'])
    const writer = client(quire.wsUrl, 'flood')
    const reader = client(quire.wsUrl, 'flood')
    await Promise.all([writer.synced(), reader.synced()])
    for (let i = 0; i < 10; i++) {
      writer.text.insert(writer.text.length, `${i}`)
      const expected = writer.text.toString()
      await waitFor(() => reader.text.toString() === expected, `edit ${i} to reach the reader`)
    }
    await waitFor(async () => (await metric(quire.httpUrl, 'quire_webhook_dropped_total')) > 0, 'drops to be counted')
    expect(await metric(quire.httpUrl, 'quire_webhook_queued')).toBe(3)
    const body = await (await fetch(`${quire.httpUrl}/metrics`)).text()
    expect(body).toMatch(/quire_webhook_dropped_total\{reason="queue_full"\} [1-9]/)
    expect(quire.logs.some((line) => line.msg === 'webhook queue full (receivers too slow or down); events dropped')).toBe(true)
  })
})

describe('webhooks at shutdown', () => {
  it('WH6: SIGTERM sends the change still waiting in its window before the process exits', async () => {
    const hooks = await receiver()
    const quire = await server([hooks.url], ['--webhook-debounce-ms', '600000'])
    const writer = client(quire.wsUrl, 'last-words')
    await writer.synced()
    writer.text.insert(0, 'said just before the stop')
    await waitFor(() => eventsOf(hooks.requests, 'document.created').length === 1, 'document.created')
    expect(eventsOf(hooks.requests, 'document.changed')).toHaveLength(0)
    writer.destroy()
    expect(await quire.kill('SIGTERM')).toBe(0)
    const changed = eventsOf(hooks.requests, 'document.changed')
    expect(changed).toHaveLength(1)
    expect(changed[0]).toMatchObject({ document: 'last-words' })
  })

  it('WH6: SIGTERM with a receiver that never answers still exits 0 within the flush bound, logging what it dropped', async () => {
    const hooks = await receiver(() => 'hang')
    const quire = await server([hooks.url], ['--webhook-debounce-ms', '0', '--webhook-timeout-ms', '600000'])
    const writer = client(quire.wsUrl, 'stuck')
    await writer.synced()
    writer.text.insert(0, 'x')
    await waitFor(() => hooks.requests.length >= 1, 'a request to hang')
    writer.destroy()
    const started = performance.now()
    expect(await quire.kill('SIGTERM')).toBe(0)
    const took = performance.now() - started
    expect(took).toBeGreaterThanOrEqual(4500)
    expect(took).toBeLessThan(30_000)
    expect(quire.logs.some((line) => line.msg === 'webhook events still undelivered when the shutdown flush ran out of time; dropped')).toBe(true)
  })
})

describe('webhook settings', () => {
  it('WH7: --webhook-url needs --webhook-secret; bad URLs and short secrets exit 2 naming the flag', async () => {
    const bare = await runCli(['serve', '--port', '0', '--webhook-url', 'http://127.0.0.1:9/x'], {}, 20_000)
    expect(bare.code).toBe(2)
    expect(bare.stderr).toMatch(/--webhook-url needs --webhook-secret/)
    const ftp = await runCli(['serve', '--port', '0', '--webhook-url', 'ftp://127.0.0.1/x', '--webhook-secret', SECRET], {}, 20_000)
    expect(ftp.code).toBe(2)
    expect(ftp.stderr).toMatch(/--webhook-url: "ftp:" URLs cannot receive webhooks/)
    const garbage = await runCli(['serve', '--port', '0', '--webhook-secret', SECRET], { WEBHOOK_URL: 'http://127.0.0.1:9/a,not a url' }, 20_000)
    expect(garbage.code).toBe(2)
    expect(garbage.stderr).toMatch(/WEBHOOK_URL: "not a url" is not an absolute URL/)
    const short = await runCli(['serve', '--port', '0', '--webhook-url', 'http://127.0.0.1:9/x', '--webhook-secret', 'short'], {}, 20_000)
    expect(short.code).toBe(2)
    expect(short.stderr).toMatch(/--webhook-secret must be at least 16 characters/)
  })
})
