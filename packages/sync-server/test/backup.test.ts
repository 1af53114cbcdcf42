/**
 * Online backup and restore against the real server process: a backup taken while writers type
 * holds every update acknowledged before it started and loads in a fresh server; the admin route
 * is never open; restore fills only an empty folder and refuses a damaged backup; a backup stream
 * cut short is refused and leaves nothing behind.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { writeFrame } from '@quire/protocol'
import { connect, runCli, type ServerProcess, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { BackupStreamDecoder, BackupStreamError, encodeEnd, encodeEntries, encodeStart } from '../src/storage/backup-stream.js'
import { LevelStore } from '../src/storage/leveldb.js'
import { writeLogRecord } from '../src/storage/records.js'
import { type Watched, watched } from './helpers/watched.js'

const ADMIN = 'backup-admin-token-0123456789abcdef'

const folders: string[] = []
const servers: ServerProcess[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) if (server.proc.exitCode === null && server.proc.signalCode === null) await server.kill('SIGKILL')
})
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

function folder(): string {
  const dir = tempDataDir()
  folders.push(dir)
  return dir
}

async function server(options: { dataDir?: string; args?: string[] } = {}): Promise<ServerProcess> {
  const started = await startServer({ dataDir: options.dataDir ?? folder(), args: options.args ?? ['--admin-token', ADMIN] })
  servers.push(started)
  return started
}

/** The text of `name` as a fresh stock client gets it. */
async function textOf(wsUrl: string, name: string): Promise<string> {
  const client = connect(wsUrl, name)
  try {
    await client.synced()
    return client.text.toString()
  } finally {
    client.destroy()
  }
}

/**
 * A writer on an acknowledged connection (`?ext=ack`), appending a unique token at a time to its own
 * Y.Doc and sending the update; frame n carries token n, so `ack n` means tokens 1..n are stored.
 */
interface Typist {
  name: string
  conn: Watched
  sent: string[]
  /** Tokens acknowledged so far. */
  acknowledged(): string[]
  stop(): Promise<void>
}

async function typist(wsUrl: string, name: string, id: string): Promise<Typist> {
  const conn = await watched(`${wsUrl}/${name}?ext=ack`)
  const doc = new Y.Doc()
  const text = doc.getText('codemirror')
  doc.on('update', (update: Uint8Array) => conn.ws.send(writeFrame({ type: 'sync-update', update })))
  const sent: string[] = []
  let running = true
  const acked = () => {
    let last = 0
    for (const frame of conn.frames) if (frame.type === 'ack') last = frame.index
    return last
  }
  const loop = (async () => {
    while (running && conn.closed === undefined) {
      const token = `<${id}:${sent.length + 1}>`
      sent.push(token)
      text.insert(text.length, token)
      // At most four frames unacknowledged: typing, not a flood.
      await waitFor(() => conn.closed !== undefined || !running || acked() >= sent.length - 3, `${id} to be acknowledged`, 60_000, 1)
    }
  })()
  return {
    name,
    conn,
    sent,
    acknowledged: () => sent.slice(0, acked()),
    async stop() {
      running = false
      await loop
      conn.ws.close()
      doc.destroy()
    }
  }
}

describe('online backup', () => {
  it('BK1: a backup taken while writers type holds every update acknowledged before it started, and loads in a fresh server', async () => {
    const source = await server()
    // A data folder with some history: 150 documents stored through the API, then six typists on three documents.
    for (let i = 0; i < 150; i++) {
      const response = await fetch(`${source.httpUrl}/api/docs/archive/${i}`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'text/plain' },
        body: `archived document ${i}\n`.repeat(20)
      })
      expect(response.status).toBeLessThan(300)
    }
    const typists = await Promise.all(
      ['live/a', 'live/b', 'live/c'].flatMap((name, d) => [typist(source.wsUrl, name, `${d}x`), typist(source.wsUrl, name, `${d}y`)])
    )
    await waitFor(() => typists.every((t) => t.acknowledged().length >= 20), 'every typist to have 20 acknowledged edits', 60_000)
    // What is acknowledged now must be in the backup; the backup starts after this line.
    const promised = new Map(typists.map((t) => [t, t.acknowledged()]))
    const to = join(folder(), 'backup')
    const run = await runCli(['backup', '--url', source.httpUrl, '--token', ADMIN, '--to', to])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^backed up \d+ entries \(\d+ bytes\) from http:\/\/127\.0\.0\.1:\d+ to .* in [\d.]+ s\n$/)
    // The server kept taking writes: every typist got more acknowledged after the backup.
    const after = new Map(typists.map((t) => [t, t.acknowledged().length]))
    await waitFor(() => typists.every((t) => t.acknowledged().length > after.get(t)!), 'typists to carry on', 60_000)
    await Promise.all(typists.map((t) => t.stop()))
    expect(source.logs.some((line) => line.msg === 'online backup sent')).toBe(true)

    const restored = join(folder(), 'restored')
    const restore = await runCli(['restore', to, '--data', restored])
    expect(restore.stderr).toBe('')
    expect(restore.code).toBe(0)
    expect(restore.stdout).toMatch(/^restored 153 documents/)
    const fresh = await server({ dataDir: restored })
    for (const [t, tokens] of promised) {
      const text = await textOf(fresh.wsUrl, t.name)
      const missing = tokens.filter((token) => !text.includes(token))
      expect(missing, `${t.name}: acknowledged before the backup, missing from it`).toEqual([])
    }
    expect(await textOf(fresh.wsUrl, 'archive/149')).toBe('archived document 149\n'.repeat(20))
  })

  it('BK2: the backup route needs the admin credential, and is closed on a server without one', async () => {
    const withAdmin = await server()
    const post = (token?: string) =>
      fetch(`${withAdmin.httpUrl}/api/admin/backup`, { method: 'POST', headers: token ? { Authorization: `Bearer ${token}` } : {} })
    const none = await post()
    expect(none.status).toBe(401)
    expect(((await none.json()) as { error: string }).error).toMatch(/\w/)
    expect((await post('not-the-admin-token-at-all-000')).status).toBe(401)
    const get = await fetch(`${withAdmin.httpUrl}/api/admin/backup?token=${ADMIN}`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toContain('POST')
    const open = await server({ args: [] })
    const refused = await fetch(`${open.httpUrl}/api/admin/backup`, { method: 'POST' })
    expect(refused.status).toBe(403)
    const to = join(folder(), 'never')
    const cli = await runCli(['backup', '--url', open.httpUrl, '--to', to])
    expect(cli.code).toBe(1)
    expect(cli.stderr).toMatch(/^quire backup: the server refused the backup: .*\(HTTP 403\)/)
    expect(existsSync(to)).toBe(false)
  })
})

describe('offline backup and restore', () => {
  it('BK3: --data backs up a folder no server holds, refuses one a server holds, and restore fills only an empty folder', async () => {
    const dataDir = folder()
    const running = await server({ dataDir })
    const writer = connect(running.wsUrl, 'kept')
    await writer.synced()
    writer.text.insert(0, 'kept through an offline backup')
    await waitFor(async () => (await textOf(running.wsUrl, 'kept')) === 'kept through an offline backup', 'the text to be stored')
    writer.destroy()
    const held = await runCli(['backup', '--data', dataDir, '--to', join(folder(), 'held')])
    expect(held.code).toBe(1)
    expect(held.stderr).toMatch(/in use by another process .*; back up a running server with --url instead/)
    expect(await running.kill('SIGTERM')).toBe(0)

    const to = join(folder(), 'offline')
    const offline = await runCli(['backup', '--data', dataDir, '--to', to])
    expect(offline.stderr).toBe('')
    expect(offline.code).toBe(0)

    const busy = folder()
    writeFileSync(join(busy, 'something.txt'), 'not empty')
    const notEmpty = await runCli(['restore', to, '--data', busy])
    expect(notEmpty.code).toBe(1)
    expect(notEmpty.stderr).toMatch(/--data .* is not empty \(1 entries\); give a new or empty folder/)

    const toNonEmpty = await runCli(['backup', '--data', dataDir, '--to', busy])
    expect(toNonEmpty.code).toBe(1)
    expect(toNonEmpty.stderr).toMatch(/--to .* is not empty/)

    const empty = folder()
    const restored = await runCli(['restore', to, '--data', empty])
    expect(restored.code).toBe(0)
    expect(restored.stdout).toMatch(/^restored 1 documents/)
    const fresh = await server({ dataDir: empty })
    expect(await textOf(fresh.wsUrl, 'kept')).toBe('kept through an offline backup')
  })

  it('BK3: restore refuses a damaged backup, a folder that is not a backup, and bad arguments, writing nothing', async () => {
    const damaged = folder()
    const store = await LevelStore.open(damaged, { sync: true })
    const good = new Y.Doc()
    good.getText('codemirror').insert(0, 'fine')
    await store.append('fine', 1, writeLogRecord({ timestamp: Date.now(), updates: [Y.encodeStateAsUpdate(good)] }))
    await store.append('broken', 1, new Uint8Array([1, 2, 3, 4, 5]))
    await store.close()
    const target = join(folder(), 'target')
    const refused = await runCli(['restore', damaged, '--data', target])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/holds 1 document\(s\) that do not load; nothing restored: broken/)
    expect(existsSync(target)).toBe(false)

    const missing = await runCli(['restore', join(folder(), 'no-such-backup'), '--data', target])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/is not a LevelDB folder/)
    expect(existsSync(target)).toBe(false)

    const foreign = folder()
    const other = await LevelStore.open(foreign, { sync: true })
    await other.close()
    mkdirSync(join(foreign, 'x'))
    const usage = await runCli(['restore', '--data', target])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/the backup folder to restore \(PATH\) is missing/)
    const noData = await runCli(['restore', damaged])
    expect(noData.code).toBe(2)
    expect(noData.stderr).toMatch(/--data DIR is required/)
    const both = await runCli(['backup', '--url', 'http://127.0.0.1:9', '--data', damaged, '--to', target])
    expect(both.code).toBe(2)
    const neither = await runCli(['backup', '--to', target], { QUIRE_URL: '' })
    expect(neither.code).toBe(2)
    expect(neither.stderr).toMatch(/give --url/)
  })
})

describe('backup streams', () => {
  it('BK4: a stream is read whole in any pieces, and one cut short, garbled or padded is refused', () => {
    const entries: Array<[string, Uint8Array]> = [
      ['s:a', new Uint8Array([1, 2, 3])],
      ['l:a:0000000000000001', new Uint8Array(300).fill(7)],
      ['c:a', new Uint8Array(0)]
    ]
    const whole = Buffer.concat([encodeStart(), encodeEntries(entries), encodeEnd(3)])
    for (const size of [1, 2, 7, whole.length]) {
      const decoder = new BackupStreamDecoder()
      const got: Array<[string, Uint8Array]> = []
      for (let i = 0; i < whole.length; i += size) got.push(...decoder.push(whole.subarray(i, i + size)))
      decoder.finish()
      expect(got.map(([k, v]) => [k, [...v]])).toEqual(entries.map(([k, v]) => [k, [...v]]))
    }
    const cut = new BackupStreamDecoder()
    cut.push(whole.subarray(0, whole.length - 3))
    expect(() => cut.finish()).toThrow(/cut short after 2 entries/)
    expect(() => new BackupStreamDecoder().push(Buffer.from('<html>not a backup</html>'))).toThrow(BackupStreamError)
    const miscounted = new BackupStreamDecoder()
    expect(() => miscounted.push(Buffer.concat([encodeStart(), encodeEntries(entries), encodeEnd(4)]))).toThrow(/says 4 entries but holds 3/)
    expect(() => new BackupStreamDecoder().push(Buffer.concat([whole, Buffer.from([0])]))).toThrow(/after the end/)
    expect(() => encodeEntries([['', new Uint8Array(1)]])).toThrow(BackupStreamError)
  })

  it('BK4: quire backup --url refuses a stream cut short and leaves no folder behind', async () => {
    const entries: Array<[string, Uint8Array]> = [['s:a', new Uint8Array(1000).fill(1)]]
    const body = Buffer.concat([encodeStart(), encodeEntries(entries)])
    // A stand-in server that sends the start of a backup and then drops the connection.
    const fake = createHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.quire.backup' })
      res.write(body, () => res.destroy())
    })
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve))
    try {
      const to = join(folder(), 'partial')
      const run = await runCli(['backup', '--url', `http://127.0.0.1:${(fake.address() as AddressInfo).port}`, '--token', ADMIN, '--to', to])
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/^quire backup: the backup was cut short after [01] entries/)
      expect(existsSync(to)).toBe(false)
    } finally {
      fake.closeAllConnections()
      await new Promise((resolve) => fake.close(resolve))
    }
  })
})
