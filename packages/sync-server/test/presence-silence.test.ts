/**
 * PR2: present is not connected. A person whose network goes silent (a proxy that stops every
 * byte and closes nothing, as a dropped Wi-Fi does) disappears for the others within seconds, long
 * before the keepalive (30 s pings here, as by default) would close anything; the socket stays
 * open, and once the network comes back the person reappears by itself. A reader that is slow
 * under a stream of changes is never disconnected by this. Stock clients of both generations.
 */
import { rmSync } from 'node:fs'
import { readFrame, writeFrame } from '@quire/protocol'
import { readMetric, type ServerProcess, startServer, startTcpProxy, connect as stockClient, type TcpProxy, waitFor } from '@quire/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as awarenessProtocol from 'y-protocols/awareness'
import { WebsocketProvider as ProviderV2 } from 'y-websocket-v2'
import * as Y from 'yjs'

const PRESENCE_TIMEOUT_MS = 1200

/** What the tests need of either generation's provider. */
interface Person {
  doc: Y.Doc
  text: Y.Text
  awareness: { getStates(): Map<number, Record<string, unknown>>; setLocalStateField(field: string, value: unknown): void }
  /** How many times the provider lost its connection. */
  disconnects: number
  synced(): Promise<void>
  destroy(): void
}

function person(generation: 'v2' | 'v3', url: string, name: string): Person {
  if (generation === 'v3') {
    const client = stockClient(url, name)
    const seen = { disconnects: 0 }
    client.provider.on('status', ({ status }: { status: string }) => {
      if (status === 'disconnected') seen.disconnects++
    })
    return {
      doc: client.doc,
      text: client.text,
      awareness: client.provider.awareness as unknown as Person['awareness'],
      get disconnects() {
        return seen.disconnects
      },
      synced: client.synced,
      destroy: client.destroy
    }
  }
  const doc = new Y.Doc()
  const provider = new ProviderV2(url, name, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, maxBackoffTime: 500 })
  let disconnects = 0
  provider.on('status', ({ status }: { status: string }) => {
    if (status === 'disconnected') disconnects++
  })
  return {
    doc,
    text: doc.getText('codemirror'),
    awareness: provider.awareness as unknown as Person['awareness'],
    get disconnects() {
      return disconnects
    },
    synced: () => waitFor(() => provider.synced, `2.x client of "${name}" to sync`),
    destroy() {
      provider.destroy()
      doc.destroy()
    }
  }
}

const keepaliveClosings = (server: ServerProcess) => readMetric(server.httpUrl, 'quire_rejected_connections_total{reason="keepalive_timeout"}')

describe('presence of a silent connection', () => {
  let server: ServerProcess
  const proxies: TcpProxy[] = []

  beforeAll(async () => {
    server = await startServer({ args: ['--presence-timeout-ms', String(PRESENCE_TIMEOUT_MS)] })
  })
  afterAll(async () => {
    for (const proxy of proxies) await proxy.close()
    expect(await server.kill('SIGTERM')).toBe(0)
    rmSync(server.dataDir, { recursive: true, force: true })
  })

  const people: Person[] = []
  afterEach(() => {
    for (const who of people.splice(0)) who.destroy()
  })

  /** On document `name`: one person behind a proxy the test can freeze, and one connected directly (3.x). */
  async function behindProxyAndDirect(name: string, generation: 'v2' | 'v3' = 'v3') {
    const proxy = await startTcpProxy(server.port)
    proxies.push(proxy)
    const behind = person(generation, `ws://127.0.0.1:${proxy.port}`, name)
    const direct = person('v3', server.wsUrl, name)
    people.push(behind, direct)
    return { proxy, behind, direct }
  }

  for (const generation of ['v3', 'v2'] as const) {
    it(`PR2: a silent person (y-websocket ${generation === 'v3' ? '3.x' : '2.x'}) is gone for the others within seconds, stays connected, and reappears when heard again`, async () => {
      const { proxy, behind: leaving, direct: staying } = await behindProxyAndDirect(`presence/silent-${generation}`, generation)
      await Promise.all([leaving.synced(), staying.synced()])
      leaving.awareness.setLocalStateField('user', { name: 'Leaving' })
      const id = leaving.doc.clientID
      await waitFor(() => staying.awareness.getStates().has(id), 'the other to see the person')

      proxy.freeze()
      const frozenAt = Date.now()
      // Before PR2 this took two 30 s keepalive pings.
      await waitFor(() => !staying.awareness.getStates().has(id), 'the silent person to be gone', 20_000)
      const goneAfter = Date.now() - frozenAt
      expect(goneAfter).toBeLessThan(15_000)

      proxy.thaw()
      await waitFor(() => staying.awareness.getStates().has(id), 'the person to reappear once heard again', 20_000)
      expect((staying.awareness.getStates().get(id) as { user?: { name?: string } }).user?.name).toBe('Leaving')
      // The same socket all along: nothing closed it.
      expect(leaving.disconnects).toBe(0)
      expect(proxy.connections).toBe(1)

      // And the person is live: a change and a caret move both reach the other.
      leaving.text.insert(0, 'back')
      leaving.awareness.setLocalStateField('cursor', { at: 1 })
      await waitFor(() => staying.text.toString() === 'back', 'the returning person’s change')
      await waitFor(() => (staying.awareness.getStates().get(id) as { cursor?: { at: number } }).cursor?.at === 1, 'the returning person’s caret')
    }, 90_000)
  }

  it('PR2: a silent person keeps their client id: nobody else can show a state under it meanwhile', async () => {
    const name = 'presence/silent-theft'
    const { proxy, behind: leaving, direct: staying } = await behindProxyAndDirect(name)
    await Promise.all([leaving.synced(), staying.synced()])
    leaving.awareness.setLocalStateField('user', { name: 'Leaving' })
    const id = leaving.doc.clientID
    await waitFor(() => staying.awareness.getStates().has(id), 'the other to see the person')
    proxy.freeze()
    await waitFor(() => !staying.awareness.getStates().has(id), 'the silent person to be gone', 20_000)

    // Another connection speaks for the silent person's id, with a clock far ahead. Everything
    // the server sends it is absorbed in order; two questions after the forged state make sure
    // that the server has handled it (a relayed presence renewal could answer for one of them).
    const thief = new WebSocket(`${server.wsUrl}/${name}`)
    const view = new awarenessProtocol.Awareness(new Y.Doc())
    const namesSeen = new Set<unknown>()
    let joined = false
    let heard = 0
    thief.on('message', (data: Buffer) => {
      const frame = readFrame(new Uint8Array(data))
      if (frame.type === 'sync-step1') joined = true
      if (frame.type !== 'awareness') return
      heard++
      awarenessProtocol.applyAwarenessUpdate(view, frame.update, 'server')
      for (const state of view.getStates().values()) namesSeen.add((state as { user?: { name?: unknown } }).user?.name)
    })
    await waitFor(() => joined, 'the thief to join')
    const before = heard
    const forger = new awarenessProtocol.Awareness(new Y.Doc())
    forger.clientID = id
    forger.meta.set(id, { clock: 1_000_000, lastUpdated: Date.now() })
    forger.states.set(id, { user: { name: 'Forged' } })
    thief.send(writeFrame({ type: 'awareness', update: awarenessProtocol.encodeAwarenessUpdate(forger, [id]) }))
    thief.send(writeFrame({ type: 'query-awareness' }))
    thief.send(writeFrame({ type: 'query-awareness' }))
    await waitFor(() => heard >= before + 2, 'the answers to the questions')
    expect(namesSeen.has('Forged')).toBe(false)
    expect(view.getStates().has(id)).toBe(false)
    thief.close()

    proxy.thaw()
    await waitFor(() => staying.awareness.getStates().has(id), 'the person to reappear once heard again', 20_000)
    expect((staying.awareness.getStates().get(id) as { user?: { name?: string } }).user?.name).toBe('Leaving')
  }, 90_000)

  it('PR2: a reader that falls seconds behind under a stream of changes is never disconnected by it, gets everything and reappears', async () => {
    const { proxy, behind: reader, direct: writer } = await behindProxyAndDirect('presence/slow-reader')
    const keepaliveBefore = (await keepaliveClosings(server)) ?? 0
    const silencedBefore = (await readMetric(server.httpUrl, 'quire_silenced_presences_total')) ?? 0
    await Promise.all([reader.synced(), writer.synced()])
    reader.awareness.setLocalStateField('user', { name: 'Slow' })
    const id = reader.doc.clientID
    await waitFor(() => writer.awareness.getStates().has(id), 'the writer to see the reader')

    // The reader reads in short bursts, stalled for longer than the presence timeout between
    // them, while the writer sends about 1.5 MB in 300 changes.
    let stalled = 0
    const writing = (async () => {
      const line = `${'x'.repeat(4990)}\n`
      for (let i = 0; i < 300; i++) {
        writer.text.insert(writer.text.length, line)
        if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    while (stalled < 4) {
      proxy.freeze()
      const at = Date.now()
      await waitFor(() => Date.now() - at > 2 * PRESENCE_TIMEOUT_MS, 'the stall to last', 10_000, 50)
      proxy.thaw()
      const thawedAt = Date.now()
      await waitFor(() => Date.now() - thawedAt > 200, 'a short burst of reading', 10_000, 20)
      stalled++
    }
    await writing
    await waitFor(() => reader.text.length === writer.text.length, 'the slow reader to get every change', 60_000)
    expect(reader.text.toString()).toBe(writer.text.toString())
    await waitFor(() => writer.awareness.getStates().has(id), 'the slow reader to be seen again', 20_000)

    expect(reader.disconnects).toBe(0)
    expect(proxy.connections).toBe(1)
    expect((await keepaliveClosings(server)) ?? 0).toBe(keepaliveBefore)
    // Its presence did go while it was stalled: the stalls were long enough to count.
    expect(((await readMetric(server.httpUrl, 'quire_silenced_presences_total')) ?? 0) - silencedBefore).toBeGreaterThan(0)
  }, 120_000)

  it('PR2: a connection that shows no presence is not watched', async () => {
    const silencedBefore = (await readMetric(server.httpUrl, 'quire_silenced_presences_total')) ?? 0
    const { proxy, behind: quiet, direct: watching } = await behindProxyAndDirect('presence/quiet-reader')
    const showNothing = (who: Person) => (who.awareness as unknown as { setLocalState(state: null): void }).setLocalState(null)
    await Promise.all([quiet.synced(), watching.synced()])
    // Stock clients show an empty state until told otherwise; a reader that shows none sets null.
    showNothing(watching)
    // (A first state at clock 0 is ignored by y-protocols receivers: give it clock 1.)
    quiet.awareness.setLocalStateField('user', { name: 'Quiet' })
    await waitFor(() => watching.awareness.getStates().has(quiet.doc.clientID), 'the quiet reader’s first state to arrive')
    showNothing(quiet)
    await waitFor(() => !watching.awareness.getStates().has(quiet.doc.clientID), 'the quiet reader to show nothing')
    proxy.freeze()
    const start = Date.now()
    await waitFor(() => Date.now() - start > 5 * PRESENCE_TIMEOUT_MS, 'five presence timeouts', 20_000, 50)
    expect((await readMetric(server.httpUrl, 'quire_silenced_presences_total')) ?? 0).toBe(silencedBefore)
    proxy.thaw()
    expect(quiet.disconnects).toBe(0)
  }, 60_000)
})
