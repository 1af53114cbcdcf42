/**
 * Damaged data (DESIGN.md "Load before sync"): a document whose stored bytes do not decode is
 * refused with 4501 and a reason, is never served empty, and its bytes are left exactly as they
 * were for an operator; other documents keep working. Key schema: src/storage/leveldb.ts.
 */
import { rmSync } from 'node:fs'
import { CloseCode, writeFrame } from '@quire/protocol'
import { connect, readMetric, type ServerProcess, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { Level } from 'level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { writeLogRecord } from '../src/storage/records.js'

const GARBAGE = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x13, 0x37])
/** Damaged documents and how each is damaged. */
const DAMAGED = {
  /** Garbage where the snapshot record should be. */
  broken: 'snapshot',
  /** A good snapshot, then a log entry of garbage. */
  'broken-log': 'log',
  /** A log record that decodes, holding bytes that are not a Yjs update. */
  'broken-update': 'update'
} as const
const NAMES = Object.keys(DAMAGED) as Array<keyof typeof DAMAGED>

type RawEntries = Array<[string, string]>

/** Every stored key and value (hex) of `name`: its snapshot key and its log keys. */
async function rawEntries(dataDir: string, name: string): Promise<RawEntries> {
  const db = new Level<string, Uint8Array>(dataDir, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open()
  try {
    const out: RawEntries = []
    for await (const [key, value] of db.iterator()) {
      if (key === `s:${name}` || key.startsWith(`l:${name}:`)) out.push([key, Buffer.from(value).toString('hex')])
    }
    return out
  } finally {
    await db.close()
  }
}

/** Open a raw socket on `name`, optionally send frames at once, and resolve with the close. */
function closeOf(wsUrl: string, name: string, send: Uint8Array[] = []): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/${name}`)
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`"${name}" was not closed within 10 s`))
    }, 10_000)
    ws.on('error', () => {})
    ws.on('open', () => {
      for (const frame of send) ws.send(frame)
    })
    ws.on('close', (code, reason) => {
      clearTimeout(timer)
      resolve({ code, reason: reason.toString() })
    })
  })
}

describe('damaged stored data', () => {
  const dataDir = tempDataDir()
  const texts: Record<string, string> = { fine: 'fine text, stored well\n' }
  for (const name of NAMES) texts[name] = `text of ${name} before the damage\n`
  const before: Record<string, RawEntries> = {}
  let server: ServerProcess

  beforeAll(async () => {
    // Write every document through a real server, then stop it (which compacts each to a snapshot).
    const writer = await startServer({ dataDir })
    for (const [name, text] of Object.entries(texts)) {
      const client = connect(writer.wsUrl, name)
      await client.synced()
      client.text.insert(0, text)
      const check = connect(writer.wsUrl, name)
      await waitFor(() => check.text.toString() === text, `"${name}" to be stored and relayed`)
      client.destroy()
      check.destroy()
    }
    expect(await writer.kill('SIGTERM')).toBe(0)

    // Damage the stored bytes directly.
    const db = new Level<string, Uint8Array>(dataDir, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open()
    for (const name of NAMES) expect(await db.get(`s:${name}`), `snapshot of ${name}`).toBeInstanceOf(Uint8Array)
    await db.put('s:broken', GARBAGE)
    await db.put(`l:broken-log:${(0x100).toString(16).padStart(16, '0')}`, GARBAGE)
    await db.put(`l:broken-update:${(0x100).toString(16).padStart(16, '0')}`, writeLogRecord({ timestamp: Date.now(), updates: [GARBAGE] }))
    await db.close()
    for (const name of NAMES) before[name] = await rawEntries(dataDir, name)

    server = await startServer({ dataDir })
  })

  afterAll(async () => {
    if (server?.proc.exitCode === null) await server.kill('SIGTERM')
    rmSync(dataDir, { recursive: true, force: true })
  })

  it.each(NAMES)('LS2: connecting to "%s" is refused with 4501 and a reason, every time', async (name) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const { code, reason } = await closeOf(server.wsUrl, name)
      expect(code, `attempt ${attempt + 1}`).toBe(CloseCode.DocumentDamaged)
      expect(reason).toMatch(/damaged/)
    }
  })

  it('LS2: a client that writes before the load fails is refused too, and its write is dropped', async () => {
    const doc = new Y.Doc()
    doc.getText('codemirror').insert(0, 'this must never be stored')
    const update = Y.encodeStateAsUpdate(doc)
    for (const name of NAMES) {
      const { code } = await closeOf(server.wsUrl, name, [writeFrame({ type: 'sync-update', update }), writeFrame({ type: 'sync-step2', update })])
      expect(code, name).toBe(CloseCode.DocumentDamaged)
    }
  })

  it('"fine" loads and works meanwhile, and no damaged document is counted as loaded', async () => {
    const a = connect(server.wsUrl, 'fine')
    const b = connect(server.wsUrl, 'fine')
    await Promise.all([a.synced(), b.synced()])
    expect(a.text.toString()).toBe(texts.fine)
    a.text.insert(a.text.length, 'more\n')
    await waitFor(() => b.text.toString() === `${texts.fine}more\n`, 'b to see the new line')
    expect(await readMetric(server.httpUrl, 'quire_documents_loaded')).toBe(1)
    a.destroy()
    b.destroy()
  })

  it('LS2: each load failure is logged with the document name', () => {
    for (const name of NAMES) {
      const line = server.logs.find((entry) => entry.doc === name && entry.msg === 'document load failed')
      expect(line, `a "document load failed" line for ${name}`).toBeDefined()
      expect(line!.level).toBeGreaterThanOrEqual(50)
      expect(server.logs.some((entry) => entry.doc === name && entry.code === CloseCode.DocumentDamaged)).toBe(true)
    }
  })

  it('LS2: after a clean stop, the damaged documents\' bytes are exactly as they were, and "fine" kept its edit', async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
    for (const name of NAMES) {
      expect(before[name]!.length, `${name} has stored entries`).toBeGreaterThan(0)
      expect(await rawEntries(dataDir, name), name).toEqual(before[name])
    }
    const again = await startServer({ dataDir })
    const reader = connect(again.wsUrl, 'fine')
    await reader.synced()
    expect(reader.text.toString()).toBe(`${texts.fine}more\n`)
    reader.destroy()
    expect((await closeOf(again.wsUrl, 'broken')).code).toBe(CloseCode.DocumentDamaged)
    expect(await again.kill('SIGTERM')).toBe(0)
  })
})
