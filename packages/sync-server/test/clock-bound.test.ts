/**
 * Clocks stay safe integers. Yjs numbers each client's structs with plain JavaScript numbers; a
 * writer that declares huge lengths can push its clock towards 2^53, where floating point can no
 * longer tell neighbouring clocks apart and Yjs breaks: the security finding "a writer can make a
 * document permanently unreadable". The server refuses any update that would take a clock past
 * `maxClock` (F5), whatever it takes to get there: one update or many.
 */
import { rmSync } from 'node:fs'
import { CloseCode, writeFrame } from '@quire/protocol'
import { connect, type ServerProcess, startServer, tempDataDir, waitFor } from '@quire/testkit'
import * as encoding from 'lib0/encoding'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { checkUpdate, defaultUpdateLimits } from '../src/guard/update-check.js'
import { gcRun, textInsert } from './helpers/bad-payloads.js'
import { watched } from './helpers/watched.js'

const MAX_CLOCK = defaultUpdateLimits.maxClock
const GC_MAX = 2 ** 31 // the longest struct the shape check lets through

const folders: string[] = []
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

async function start(dataDir: string): Promise<ServerProcess> {
  if (!folders.includes(dataDir)) folders.push(dataDir)
  return startServer({ dataDir, args: ['--rate-limit', '0'] })
}

const PER_UPDATE = 200_000 // the most structs one update may hold

/** GC updates of `client` from `from` up to `to`, of at most 200,000 structs of at most 2^31 clocks each; made as they are sent. */
function* gcUpdatesUpTo(client: number, from: number, to: number): Generator<Uint8Array> {
  let clock = from
  while (clock < to) {
    const first = clock
    const lengths: number[] = []
    while (lengths.length < PER_UPDATE && clock < to) {
      const length = Math.min(GC_MAX, to - clock)
      lengths.push(length)
      clock += length
    }
    yield gcRun(client, first, lengths)
  }
}

/** Send update frames on an acknowledged connection, each once the one before is acknowledged; stops at a close. */
async function sendAll(url: string, updates: Iterable<Uint8Array>) {
  const conn = await watched(`${url}?ext=ack`)
  let sent = 0
  for (const update of updates) {
    conn.ws.send(writeFrame({ type: 'sync-update', update }))
    sent++
    await waitFor(() => conn.closed !== undefined || conn.count('ack') >= sent, `update ${sent} to be refused or acknowledged`, 60_000)
    if (conn.closed) break
  }
  const result = { closed: conn.closed?.code, acks: conn.count('ack') }
  conn.ws.close()
  return result
}

/** A fresh stock client's text once it has synced. */
async function read(wsUrl: string, name: string): Promise<string> {
  const client = connect(wsUrl, name)
  try {
    await client.synced()
    return client.text.toString()
  } finally {
    client.destroy()
  }
}

describe('clocks past the safe bound', () => {
  it('F5: the finding: 21 updates of 200,000 GC structs push a clock to 2^53 - 5, two inserts then pass 2^53; refused with 4422, nothing acknowledged, "hello" readable after a restart', async () => {
    const dataDir = tempDataDir()
    let server = await start(dataDir)
    const name = 'finding/unreadable'
    const writer = connect(server.wsUrl, name)
    await writer.synced()
    writer.text.insert(0, 'hello')
    await waitFor(async () => (await read(server.wsUrl, name)) === 'hello', '"hello" to be stored')
    writer.destroy()

    const attacker = 424242
    const top = 2 ** 53 - 5
    expect(Math.ceil(top / (PER_UPDATE * GC_MAX))).toBe(21)
    function* attack() {
      yield* gcUpdatesUpTo(attacker, 0, top)
      yield textInsert(attacker, top, 'xyz')
      yield textInsert(attacker, top + 3, 'uvw', { client: attacker, clock: top + 2 })
    }
    const result = await sendAll(`${server.wsUrl}/${name}`, attack())
    expect(result).toEqual({ closed: CloseCode.InvalidUpdate, acks: 0 })

    // A stock client still reads the document now, and after a restart, and can change it.
    expect(await read(server.wsUrl, name)).toBe('hello')
    expect(await server.kill('SIGTERM')).toBe(0)
    server = await start(dataDir)
    const after = connect(server.wsUrl, name)
    await after.synced()
    expect(after.text.toString()).toBe('hello')
    after.text.insert(5, '!')
    await waitFor(async () => (await read(server.wsUrl, name)) === 'hello!', 'a change after the restart to be stored and read')
    after.destroy()
    expect(await server.kill('SIGTERM')).toBe(0)
  })

  it('F5: clocks are absolute, so many updates cannot add up past the bound: a client reaches maxClock exactly, and the next clock is refused', async () => {
    const dataDir = tempDataDir()
    const server = await start(dataDir)
    const name = 'finding/cumulative'
    const client = 77
    // Two updates of 2^47 clocks each end exactly at 2^48.
    const upTo = [...gcUpdatesUpTo(client, 0, MAX_CLOCK / 2), ...gcUpdatesUpTo(client, MAX_CLOCK / 2, MAX_CLOCK)]
    expect(upTo.length).toBe(2)
    expect(await sendAll(`${server.wsUrl}/${name}`, upTo)).toEqual({ closed: undefined, acks: 2 })
    // One clock more, however small the update, is refused; so is a delete range reaching past it.
    expect(await sendAll(`${server.wsUrl}/${name}`, [textInsert(client, MAX_CLOCK, 'x')])).toEqual({ closed: CloseCode.InvalidUpdate, acks: 0 })
    expect(await sendAll(`${server.wsUrl}/${name}`, [deleteRange(client, MAX_CLOCK - 1, 2)])).toEqual({ closed: CloseCode.InvalidUpdate, acks: 0 })
    expect(await sendAll(`${server.wsUrl}/${name}`, [textInsert(5, 0, 'ok')])).toEqual({ closed: undefined, acks: 1 })
    expect(await read(server.wsUrl, name)).toBe('ok')
    expect(await server.kill('SIGTERM')).toBe(0)
  })
})

/** An update with no structs and one delete range. */
function deleteRange(client: number, clock: number, length: number): Uint8Array {
  const e = encoding.createEncoder()
  ;[0, 1, client, 1, clock, length].forEach((n) => encoding.writeVarUint(e, n))
  return encoding.toUint8Array(e)
}

describe('checkUpdate: clock arithmetic', () => {
  it('F5: refuses a first clock, a struct end, a delete range or a reference past maxClock, and takes them up to it', () => {
    const limits = { ...defaultUpdateLimits, maxClock: 1000 }
    expect(checkUpdate(gcRun(1, 0, [1000]), limits).ok).toBe(true)
    expect(checkUpdate(gcRun(1, 0, [1001]), limits).ok).toBe(false)
    expect(checkUpdate(gcRun(1, 999, [1]), limits).ok).toBe(true)
    expect(checkUpdate(gcRun(1, 1001, [1]), limits).ok).toBe(false)
    expect(checkUpdate(gcRun(1, 0, [600, 400]), limits).ok).toBe(true)
    expect(checkUpdate(gcRun(1, 0, [600, 401]), limits).ok).toBe(false)
    expect(checkUpdate(textInsert(1, 997, 'abc'), limits).ok).toBe(true)
    expect(checkUpdate(textInsert(1, 998, 'abc'), limits).ok).toBe(false)
    expect(checkUpdate(deleteRange(1, 990, 10), limits).ok).toBe(true)
    expect(checkUpdate(deleteRange(1, 990, 11), limits).ok).toBe(false)
    expect(checkUpdate(textInsert(1, 0, 'a', { client: 2, clock: 999 }), limits).ok).toBe(true)
    expect(checkUpdate(textInsert(1, 0, 'a', { client: 2, clock: 1000 }), limits).ok).toBe(false)
  })

  it('F5: counts a string item as Yjs does, in UTF-16 code units, not bytes', () => {
    const limits = { ...defaultUpdateLimits, maxClock: 10 }
    // 'é' is 2 bytes and 1 unit; '😀' is 4 bytes and 2 units.
    expect(checkUpdate(textInsert(1, 0, 'éééééééééé'), limits).ok).toBe(true)
    expect(checkUpdate(textInsert(1, 0, '😀😀😀😀😀'), limits).ok).toBe(true)
    expect(checkUpdate(textInsert(1, 1, '😀😀😀😀😀'), limits).ok).toBe(false)
    const doc = new Y.Doc()
    doc.getText('codemirror').insert(0, 'a😀é')
    expect(Y.getState(doc.store, doc.clientID)).toBe(4)
  })

  it('F5: the default bound leaves real clients a margin of 2^48 clocks and Yjs arithmetic a margin of 32 below 2^53', () => {
    expect(MAX_CLOCK).toBe(2 ** 48)
    expect(Number.isSafeInteger(MAX_CLOCK * 32 - 1)).toBe(true)
  })
})
