/**
 * Document history against the real server process and real LevelDB folders (SPEC.md HS): versions
 * survive restarts and kill -9 during cuts and restores, restores keep concurrent edits, access
 * rules, authorship from tokens, retention and `quire history prune`, bad input, the history
 * protocol frame, and history turned off.
 */
import { MessageType, readFrame, readHistoryEvent } from '@quire/protocol'
import { type Client, connect, readMetric, rng, runCli, type ServerProcess, startServer, waitConverged, waitFor, withSeed } from '@quire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { signToken } from '../src/auth/token.js'

const SECRET = 'history-test-secret-0123456789ab'
// Versions are cut after 200 ms without a change, so tests need not wait long.
const FAST = ['--history-idle-ms', '200', '--history-max-ms', '1000']

interface Version {
  id: string
  start: number
  end: number
  authors: Array<{ name: string; verified: boolean; color: string | null }>
  added: number
  removed: number
  label: string | null
  kind: string
}

const servers: ServerProcess[] = []
const clients: Client[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy()
  for (const server of servers.splice(0)) if (server.proc.exitCode === null && server.proc.signalCode === null) await server.kill('SIGTERM')
})

async function start(options: { dataDir?: string; args?: string[] } = {}): Promise<ServerProcess> {
  const server = await startServer({ dataDir: options.dataDir, args: [...FAST, ...(options.args ?? [])] })
  servers.push(server)
  return server
}

function client(server: ServerProcess, name: string, params: Record<string, string> = {}): Client {
  const c = connect(server.wsUrl, name, { params })
  clients.push(c)
  return c
}

async function api(server: ServerProcess, method: string, path: string, options: { token?: string; body?: string } = {}) {
  const headers: Record<string, string> = {}
  if (options.token) headers.Authorization = `Bearer ${options.token}`
  const response = await fetch(server.httpUrl + path, { method, headers, body: options.body })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, text, json: json as Record<string, unknown> & { versions?: Version[] }, headers: response.headers }
}

async function versions(server: ServerProcess, doc: string, token?: string): Promise<Version[]> {
  const answer = await api(server, 'GET', `/api/docs/${doc}/versions`, { token })
  expect(answer.status, answer.text).toBe(200)
  return answer.json.versions as Version[]
}

async function versionText(server: ServerProcess, doc: string, id: string, token?: string): Promise<string> {
  const answer = await api(server, 'GET', `/api/docs/${doc}/versions/${id}`, { token })
  expect(answer.status, answer.text).toBe(200)
  return answer.text
}

/** Wait until the newest version's text is the client's text (a version was cut after the typing). */
async function versionOf(server: ServerProcess, doc: string, expected: string, token?: string): Promise<Version[]> {
  let list: Version[] = []
  await waitFor(
    async () => {
      list = await versions(server, doc, token)
      return list.length > 0 && (await versionText(server, doc, list[0]!.id, token)) === expected
    },
    `a version of "${doc}" holding ${JSON.stringify(expected.slice(0, 40))}`,
    30_000,
    50
  )
  return list
}

async function typeSlowly(c: Client, text: string, at?: number): Promise<void> {
  for (const char of text) {
    c.text.insert(at ?? c.text.length, char)
    if (at !== undefined) at++
    await new Promise((resolve) => setImmediate(resolve))
  }
}

describe('versions on disk', () => {
  it('HS1/HS2: versions are cut after a pause and survive a restart, each opening to the text it had', async () => {
    const server = await start()
    const a = client(server, 'notes')
    await a.synced()
    a.text.insert(0, 'first draft')
    const one = await versionOf(server, 'notes', 'first draft')
    a.text.insert(5, ' rough')
    const two = await versionOf(server, 'notes', 'first rough draft')
    expect(two.length).toBe(one.length + 1)
    expect(two[0]!.kind).toBe('edit')
    expect(two[0]!.added).toBe(6)
    a.destroy()
    await server.kill('SIGTERM')
    const again = await start({ dataDir: server.dataDir })
    const after = await versions(again, 'notes')
    expect(after.map((v) => v.id)).toEqual(two.map((v) => v.id))
    expect(await versionText(again, 'notes', two[1]!.id)).toBe('first draft')
    expect(await versionText(again, 'notes', two[0]!.id)).toBe('first rough draft')
    const yjs = await fetch(`${again.httpUrl}/api/docs/notes/versions/${two[1]!.id}?format=yjs`)
    expect(yjs.headers.get('content-type')).toBe('application/octet-stream')
    const { applyUpdate, Doc } = await import('yjs')
    const built = new Doc()
    applyUpdate(built, new Uint8Array(await yjs.arrayBuffer()))
    expect(built.getText('codemirror').toString()).toBe('first draft')
  })

  it('HS2: a document that went dormant and woke again goes on with the same history (its recorder is dropped while dormant)', async () => {
    const server = await start({ args: ['--release-after-ms', '300'] })
    const a = client(server, 'sleeper')
    await a.synced()
    a.text.insert(0, 'before sleep')
    const first = await versionOf(server, 'sleeper', 'before sleep')
    await waitFor(async () => (await readMetric(server.httpUrl, 'quire_documents_dormant')) === 1, 'the document to go dormant')
    a.text.insert(a.text.length, ', after waking')
    const later = await versionOf(server, 'sleeper', 'before sleep, after waking')
    expect(later.length).toBe(first.length + 1)
    expect(later.slice(1).map((v) => v.id)).toEqual(first.map((v) => v.id))
    expect(await versionText(server, 'sleeper', first[0]!.id)).toBe('before sleep')
  })

  it('HS1/HS9: kill -9 during version cuts and restores loses no version and leaves every one openable (seeded)', async () => {
    await withSeed(1207, async (seed) => {
      const random = rng(seed)
      let server = await start()
      const dataDir = server.dataDir
      let known: Version[] = []
      let texts = new Map<string, string>()
      for (let round = 0; round < 6; round++) {
        const writer = client(server, 'crashy')
        await writer.synced()
        // Type in bursts with pauses (versions are cut), restore now and then, and kill at a random moment.
        const work = (async () => {
          for (let burst = 0; burst < 50; burst++) {
            await typeSlowly(writer, `r${round}b${burst} `)
            if (random() < 0.3) await new Promise((resolve) => setTimeout(resolve, 250))
            if (random() < 0.15 && known.length > 0) {
              const target = known[Math.floor(random() * known.length)]!
              await fetch(`${server.httpUrl}/api/docs/crashy/versions/${target.id}/restore`, { method: 'POST' }).catch(() => undefined)
            }
          }
        })().catch(() => undefined)
        await new Promise((resolve) => setTimeout(resolve, 300 + random() * 1500))
        server.proc.kill('SIGKILL')
        await server.exited
        await work
        writer.destroy()
        server = await start({ dataDir })
        const after = await versions(server, 'crashy')
        // Every version stored before the kill is still there, with the same text.
        for (const version of known)
          expect(
            after.map((v) => v.id),
            `round ${round}: version ${version.id} kept`
          ).toContain(version.id)
        for (const [id, text] of texts) expect(await versionText(server, 'crashy', id), `round ${round}: version ${id}`).toBe(text)
        // Ids only grow, and every version opens.
        const ids = after.map((v) => Number(v.id))
        expect([...ids].sort((x, y) => y - x)).toEqual(ids)
        texts = new Map()
        for (const version of after) texts.set(version.id, await versionText(server, 'crashy', version.id))
        known = after
      }
      // The history continues correctly after all that: a new version is exactly the live text.
      const last = client(server, 'crashy')
      await last.synced()
      await typeSlowly(last, ' the end')
      await versionOf(server, 'crashy', last.text.toString())
      console.log(`[history crash] seed ${seed}: ${known.length} versions across 6 kill -9s`)
    })
  }, 240_000)
})

describe('restore', () => {
  it('HS9/HS4: restore turns the live text into the version as one minimal change, keeps a before-restore version, and an edit made meanwhile by someone else survives', async () => {
    const server = await start({ args: ['--auth-secret', SECRET] })
    const ada = await signToken(SECRET, { doc: 'essay', access: 'write', expiresInSeconds: 600, user: 'Ada' })
    const bob = await signToken(SECRET, { doc: 'essay', access: 'write', expiresInSeconds: 600, user: 'Bob' })
    const a = client(server, 'essay', { token: ada })
    const b = client(server, 'essay', { token: bob })
    await Promise.all([a.synced(), b.synced()])
    a.text.insert(0, 'Intro. Body. End.')
    const v1 = (await versionOf(server, 'essay', 'Intro. Body. End.', ada))[0]!
    expect(v1.authors).toEqual([{ name: 'Ada', verified: true, color: null }])
    a.text.delete(7, 5)
    a.text.insert(7, 'A much longer body.')
    await versionOf(server, 'essay', 'Intro. A much longer body. End.', ada)
    await waitConverged([a, b])
    // Bob is offline and writes at the start while Ada restores version 1.
    b.provider.disconnect()
    b.text.insert(0, 'TITLE ')
    const restored = await api(server, 'POST', `/api/docs/essay/versions/${v1.id}/restore`, { token: ada })
    expect(restored.status, restored.text).toBe(200)
    const { restored: made, before } = restored.json as unknown as { restored: Version; before: Version }
    expect(before.kind).toBe('before-restore')
    expect(made.kind).toBe('restore')
    expect(made.authors).toEqual([{ name: 'Ada', verified: true, color: null }])
    await waitFor(() => a.text.toString() === 'Intro. Body. End.', 'the restore to reach Ada')
    expect(await versionText(server, 'essay', before.id, ada)).toBe('Intro. A much longer body. End.')
    b.provider.connect()
    await waitConverged([a, b], 'TITLE Intro. Body. End.')
    // Minimal diff: "Intro. " and " End." kept their identity, so they are still Ada's first version's.
    const spans = (await api(server, 'GET', '/api/docs/essay/authorship?version=live', { token: ada })).json.spans as Array<{
      from: number
      to: number
      author: { name: string }
      time: number
    }>
    const live = a.text.toString()
    const who = (stretch: string) => spans.filter((s) => live.slice(s.from, s.to).includes(stretch)).map((s) => s.author.name)
    expect(who('TITLE')).toEqual(['Bob'])
    expect(who('Intro.')).toEqual(['Ada'])
    expect(spans.find((s) => live.slice(s.from, s.to).includes('Intro.'))!.time).toBe(v1.end)
    // And the restore can be undone by restoring the before-restore version (which had no title).
    const undo = await api(server, 'POST', `/api/docs/essay/versions/${before.id}/restore`, { token: bob })
    expect(undo.status, undo.text).toBe(200)
    expect((undo.json as unknown as { restored: Version }).restored.authors).toEqual([{ name: 'Bob', verified: true, color: null }])
    await waitConverged([a, b], 'Intro. A much longer body. End.')
  })

  it('HS9: a stock client typing without pause while another person restores keeps everything it typed after the restore', async () => {
    const server = await start()
    const typist = client(server, 'busy')
    const other = client(server, 'busy')
    await Promise.all([typist.synced(), other.synced()])
    typist.text.insert(0, 'base text\n')
    const v1 = (await versionOf(server, 'busy', 'base text\n'))[0]!
    let typing = true
    let typed = 0
    const loop = (async () => {
      while (typing) {
        typist.text.insert(typist.text.length, `${typed++};`)
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()
    await waitFor(() => typed > 50, 'the typist to get going')
    const answer = await api(server, 'POST', `/api/docs/busy/versions/${v1.id}/restore`)
    expect(answer.status, answer.text).toBe(200)
    const typedAtAnswer = typed
    await waitFor(() => typed > typedAtAnswer + 100, 'more typing after the restore')
    typing = false
    await loop
    await waitConverged([typist, other])
    const final = typist.text.toString()
    expect(final.startsWith('base text\n')).toBe(true)
    // Everything typed once the restore was answered is there, in order.
    const after = Array.from({ length: typed - typedAtAnswer - 1 }, (_, i) => `${typedAtAnswer + 1 + i};`).join('')
    expect(final).toContain(after)
  })
})

describe('access and bad input', () => {
  it('HS7/HS8/HS10: a read token lists, opens, diffs and reads authorship, which change nothing; naming and restoring get 403 and change nothing either', async () => {
    const server = await start({ args: ['--auth-secret', SECRET] })
    const write = await signToken(SECRET, { doc: 'shared/*', access: 'write', expiresInSeconds: 600, user: 'Writer' })
    const read = await signToken(SECRET, { doc: 'shared/*', access: 'read', expiresInSeconds: 600, user: 'Reader' })
    const w = client(server, 'shared/doc', { token: write })
    await w.synced()
    w.text.insert(0, 'one')
    await versionOf(server, 'shared/doc', 'one', write)
    w.text.insert(3, ' two')
    const list = await versionOf(server, 'shared/doc', 'one two', write)
    const snapshot = async () =>
      JSON.stringify([await versions(server, 'shared/doc', read), await versionText(server, 'shared/doc', list[1]!.id, read), w.text.toString()])
    const before = await snapshot()
    expect((await api(server, 'GET', `/api/docs/shared/doc/versions?token=${read}`)).status).toBe(200)
    expect((await api(server, 'GET', `/api/docs/shared/doc/diff?to=live`, { token: read })).status).toBe(200)
    expect((await api(server, 'GET', `/api/docs/shared/doc/authorship?version=${list[0]!.id}`, { token: read })).status).toBe(200)
    for (const [method, path, body] of [
      ['PUT', `/api/docs/shared/doc/versions/${list[1]!.id}/label`, '{"label":"mine"}'],
      ['PUT', '/api/docs/shared/doc/versions/live/label', '{"label":"mine"}'],
      ['POST', `/api/docs/shared/doc/versions/${list[1]!.id}/restore`, undefined],
      ['PUT', '/api/docs/shared/doc/history', '{"enabled":false}']
    ] as const) {
      const answer = await api(server, method, path, { token: read, body })
      expect(answer.status, `${method} ${path}`).toBe(403)
      expect(typeof answer.json.error).toBe('string')
    }
    const none = await api(server, 'POST', `/api/docs/shared/doc/versions/${list[1]!.id}/restore`)
    expect(none.status).toBe(401)
    expect(await snapshot()).toBe(before)
  })

  it('HS10: unknown versions, malformed ids, huge ranges, oversized bodies and wrong methods get JSON errors, and nothing stored changes', async () => {
    const server = await start()
    const a = client(server, 'strict')
    await a.synced()
    a.text.insert(0, 'content')
    const list = await versionOf(server, 'strict', 'content')
    const before = JSON.stringify(await versions(server, 'strict'))
    const cases: Array<[string, string, number, string?]> = [
      ['GET', '/api/docs/strict/versions/999', 404],
      ['GET', '/api/docs/strict/versions/0', 400],
      ['GET', '/api/docs/strict/versions/-1', 400],
      ['GET', '/api/docs/strict/versions/1e3', 400],
      ['GET', '/api/docs/strict/versions/99999999999999999999', 400],
      ['GET', `/api/docs/strict/versions/${list[0]!.id}?format=pdf`, 400],
      ['GET', '/api/docs/strict/versions?limit=100000000', 400],
      ['GET', '/api/docs/strict/versions?limit=0', 400],
      ['GET', '/api/docs/strict/versions?label=maybe', 400],
      ['GET', '/api/docs/strict/diff', 400],
      ['GET', '/api/docs/strict/diff?to=live&from=abc', 400],
      ['GET', '/api/docs/strict/diff?to=12345', 404],
      ['GET', '/api/docs/strict/authorship?version=99', 404],
      ['PUT', `/api/docs/strict/versions/${list[0]!.id}/label`, 400, 'not json'],
      ['PUT', `/api/docs/strict/versions/${list[0]!.id}/label`, 400, '{"label":""}'],
      ['PUT', `/api/docs/strict/versions/${list[0]!.id}/label`, 400, JSON.stringify({ label: 'x'.repeat(201) })],
      ['PUT', `/api/docs/strict/versions/${list[0]!.id}/label`, 413, JSON.stringify({ label: 'x'.repeat(10_000) })],
      ['PUT', '/api/docs/strict/versions/999/label', 404, '{"label":"x"}'],
      ['POST', '/api/docs/strict/versions/999/restore', 404],
      ['POST', '/api/docs/strict/versions/abc/restore', 400],
      ['PUT', '/api/docs/strict/history', 400, '{"enabled":1}'],
      ['GET', `/api/docs/strict/versions/${list[0]!.id}/restore`, 405],
      ['DELETE', `/api/docs/strict/versions/${list[0]!.id}`, 405],
      ['POST', '/api/docs/strict/versions', 405],
      ['GET', '/api/docs/bad%20name/versions', 400]
    ]
    for (const [method, path, status, body] of cases) {
      const answer = await api(server, method, path, { body })
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(status)
      expect(answer.headers.get('content-type'), `${method} ${path}`).toMatch(/^application\/json/)
      expect(typeof answer.json.error, `${method} ${path}`).toBe('string')
      if (status === 405) expect(answer.headers.get('allow')).toBeTruthy()
    }
    expect(JSON.stringify(await versions(server, 'strict'))).toBe(before)
    expect(a.text.toString()).toBe('content')
  })
})

describe('authors, events, retention, switches', () => {
  it('HS4: authors and authorship spans match the tokens that wrote; a presence name without a token is unverified', async () => {
    const server = await start({ args: ['--auth-secret', SECRET] })
    const tokenFor = (user: string) => signToken(SECRET, { doc: 'pair', access: 'write', expiresInSeconds: 600, user })
    const a = client(server, 'pair', { token: await tokenFor('Ada Lovelace') })
    const g = client(server, 'pair', { token: await tokenFor('Grace Hopper') })
    await Promise.all([a.synced(), g.synced()])
    a.provider.awareness.setLocalStateField('user', { name: 'someone else', color: '#123456' })
    await typeSlowly(a, 'Ada wrote this. ')
    await waitConverged([a, g])
    await typeSlowly(g, 'Grace wrote that.')
    await waitConverged([a, g])
    const live = a.text.toString()
    const reader = await tokenFor('Reader')
    const list = await versionOf(server, 'pair', live, reader)
    const names = new Set(list.flatMap((v) => v.authors.map((author) => `${author.name}:${author.verified}`)))
    expect(names).toEqual(new Set(['Ada Lovelace:true', 'Grace Hopper:true']))
    // The token's name wins over the presence name; the presence colour is kept.
    expect(list.flatMap((v) => v.authors).find((author) => author.name === 'Ada Lovelace')?.color).toBe('#123456')
    const spans = (await api(server, 'GET', `/api/docs/pair/authorship?version=${list[0]!.id}`, { token: reader })).json.spans as Array<{
      from: number
      to: number
      author: { name: string; verified: boolean }
    }>
    for (const span of spans) {
      const stretch = live.slice(span.from, span.to)
      expect(span.author.verified).toBe(true)
      expect(span.author.name === 'Ada Lovelace' ? 'Ada wrote this. ' : 'Grace wrote that.', stretch).toContain(stretch)
    }
    expect(spans.map((s) => live.slice(s.from, s.to)).join('')).toBe(live)
    // On an open server, the presence name is used, unverified.
    const open = await start()
    const p = client(open, 'anon')
    await p.synced()
    p.provider.awareness.setLocalStateField('user', { name: 'Pat', color: '#00ff00' })
    await waitFor(async () => (await api(open, 'GET', '/api/docs/anon/history')).status === 200, 'the server')
    await typeSlowly(p, 'hello')
    const anon = await versionOf(open, 'anon', 'hello')
    expect(anon[0]!.authors).toEqual([{ name: 'Pat', verified: false, color: '#00ff00' }])
  })

  it('HS3/F10: clients that asked for ?ext=history hear of new versions and restores once stored; stock clients never get the frame', async () => {
    const server = await start()
    const frames: Array<{ type: number; event?: ReturnType<typeof readHistoryEvent> }> = []
    const stockTypes: number[] = []
    const listen = (ext: string | undefined, into: (bytes: Uint8Array) => void) =>
      new Promise<WebSocket>((resolve) => {
        const ws = new WebSocket(`${server.wsUrl}/events${ext ? `?ext=${ext}` : ''}`)
        ws.binaryType = 'nodebuffer'
        ws.on('message', (data: Buffer) => into(new Uint8Array(data)))
        ws.on('open', () => resolve(ws))
      })
    const opted = await listen('ack,history', (bytes) => {
      const frame = readFrame(bytes)
      if (frame.type === 'history') frames.push({ type: bytes[0]!, event: readHistoryEvent(frame.json) })
    })
    const stock = await listen(undefined, (bytes) => stockTypes.push(bytes[0]!))
    const writer = client(server, 'events')
    await writer.synced()
    writer.text.insert(0, 'news')
    const list = await versionOf(server, 'events', 'news')
    await waitFor(() => frames.length >= 1, 'the version event')
    expect(frames[0]!.type).toBe(MessageType.History)
    expect(frames[0]!.event).toEqual({ event: 'version', version: list[0] })
    writer.text.insert(4, ' later')
    await versionOf(server, 'events', 'news later')
    const restore = await api(server, 'POST', `/api/docs/events/versions/${list[0]!.id}/restore`)
    await waitFor(() => frames.some((f) => f.event?.event === 'restore'), 'the restore event')
    const { before, restored } = restore.json as unknown as { before: Version; restored: Version }
    const last = frames.slice(-2).map((f) => f.event)
    expect(last).toEqual([
      { event: 'version', version: before },
      { event: 'restore', version: restored }
    ])
    expect(
      stockTypes.every((type) => type < 100),
      `stock client got types ${[...new Set(stockTypes)]}`
    ).toBe(true)
    opted.close()
    stock.close()
  })

  it('HS6: `quire history prune` merges old versions and keeps named ones, each kept version opening to the same text', async () => {
    const server = await start()
    const a = client(server, 'long')
    await a.synced()
    const expected = new Map<string, string>()
    for (let i = 0; i < 6; i++) {
      await typeSlowly(a, `part ${i}. `)
      const list = await versionOf(server, 'long', a.text.toString())
      expected.set(list[0]!.id, a.text.toString())
    }
    const ids = [...expected.keys()]
    const named = [ids[1]!, ids[3]!]
    for (const id of named)
      expect((await api(server, 'PUT', `/api/docs/long/versions/${id}/label`, { body: JSON.stringify({ label: `keep ${id}` }) })).status).toBe(200)
    a.destroy()
    await server.kill('SIGTERM')
    // A running server holds the folder: prune refuses it.
    const running = await start({ dataDir: server.dataDir })
    const refused = await runCli(['history', 'prune', '--data', server.dataDir, '--history-keep-ms', '1'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/in use/)
    await running.kill('SIGTERM')
    expect((await runCli(['history', 'prune', '--data', server.dataDir, '--history-keep-ms', 'soon'])).code).toBe(2)
    await new Promise((resolve) => setTimeout(resolve, 5))
    const pruned = await runCli(['history', 'prune', '--data', server.dataDir, '--history-keep-ms', '1'])
    expect(pruned.code, pruned.stderr).toBe(0)
    expect(pruned.stdout).toMatch(/merged away/)
    const after = await start({ dataDir: server.dataDir })
    const left = await versions(after, 'long')
    const leftIds = left.map((v) => v.id)
    for (const id of named) expect(leftIds).toContain(id)
    expect(left.find((v) => v.id === named[0])!.label).toBe(`keep ${named[0]}`)
    expect(left.length).toBeLessThan(ids.length)
    for (const version of left) expect(await versionText(after, 'long', version.id)).toBe(expected.get(version.id))
  })

  it('HS11: with --history off no version is recorded and naming is refused; a document can turn its own history off', async () => {
    const off = await start({ args: ['--history', 'off'] })
    const a = client(off, 'plain')
    await a.synced()
    a.text.insert(0, 'nothing kept')
    await waitFor(async () => (await fetch(`${off.httpUrl}/api/docs/plain?format=text`).then((r) => r.text())) === 'nothing kept', 'the text to be stored')
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(await versions(off, 'plain')).toEqual([])
    expect((await api(off, 'PUT', '/api/docs/plain/versions/live/label', { body: '{"label":"x"}' })).status).toBe(409)
    expect((await api(off, 'GET', '/api/docs/plain/history')).json).toEqual({ enabled: false, server: 'off' })
    const on = await start()
    const b = client(on, 'private')
    await b.synced()
    b.text.insert(0, 'kept')
    const kept = await versionOf(on, 'private', 'kept')
    expect((await api(on, 'PUT', '/api/docs/private/history', { body: '{"enabled":false}' })).status).toBe(200)
    b.text.insert(4, ' but not this')
    await new Promise((resolve) => setTimeout(resolve, 800))
    expect(await versions(on, 'private')).toEqual(kept)
    expect((await api(on, 'GET', '/api/docs/private/history')).json).toEqual({ enabled: false, server: 'on' })
  })
})
