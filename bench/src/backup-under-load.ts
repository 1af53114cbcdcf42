/**
 * Online backup under load (run on demand, not in `pnpm test`): a Quire server with 1,000 stored
 * documents and typists on acknowledged connections (`?ext=ack`); measures the time to
 * acknowledgement of each keystroke without a backup and while `quire backup --url` runs, and the
 * time and size of the backups.
 *
 *   pnpm --filter @quire/sync-server build && cd bench && npx tsc -p tsconfig.json && node dist/backup-under-load.js [--docs 1000] [--typists 20] [--backups 5]
 */
import { readdirSync, rmSync, statSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runCli, startServer, tempDataDir } from '@quire/testkit'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { fmt, percentile, sleep } from './util.js'

const ADMIN = 'bench-admin-token-0123456789abcdef'
const MSG_SYNC = 0
const UPDATE = 2
const MSG_ACK = 100

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000' },
    typists: { type: 'string', default: '20' },
    backups: { type: 'string', default: '5' },
    'key-interval-ms': { type: 'string', default: '25' },
    'baseline-ms': { type: 'string', default: '5000' }
  }
})
const DOCS = Number(values.docs)
const TYPISTS = Number(values.typists)
const BACKUPS = Number(values.backups)
const KEY_INTERVAL_MS = Number(values['key-interval-ms'])
const BASELINE_MS = Number(values['baseline-ms'])

/** One keystroke's time to acknowledgement, and when it was sent. */
interface Sample {
  sentAt: number
  ms: number
}

/** A typist: one key every KEY_INTERVAL_MS on its own document, each frame timed until its ack. */
async function typist(wsUrl: string, name: string, samples: Sample[]): Promise<{ stop(): Promise<void> }> {
  const ws = new WebSocket(`${wsUrl}/${name}?ext=ack`)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const sentAt: number[] = []
  ws.on('message', (data: Buffer) => {
    const decoder = decoding.createDecoder(new Uint8Array(data))
    if (decoding.readVarUint(decoder) !== MSG_ACK) return
    const index = decoding.readVarUint(decoder)
    const at = sentAt[index - 1]
    if (at !== undefined) samples.push({ sentAt: at, ms: performance.now() - at })
  })
  const doc = new Y.Doc()
  const text = doc.getText('codemirror')
  doc.on('update', (update: Uint8Array) => {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, MSG_SYNC)
    encoding.writeVarUint(encoder, UPDATE)
    encoding.writeVarUint8Array(encoder, update)
    sentAt.push(performance.now())
    ws.send(encoding.toUint8Array(encoder))
  })
  let running = true
  const loop = (async () => {
    // Start at a random phase so the typists do not all press at once.
    await sleep(Math.random() * KEY_INTERVAL_MS)
    while (running) {
      text.insert(text.length, 'abcdefghijklmnopqrstuvwxyz '[text.length % 27]!)
      await sleep(KEY_INTERVAL_MS)
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      ws.close()
      doc.destroy()
    }
  }
}

function folderBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size
  }
  return total
}

function summary(samples: Sample[]): string {
  const ms = samples.map((s) => s.ms)
  return `n=${ms.length} p50 ${fmt(percentile(ms, 50))} ms, p95 ${fmt(percentile(ms, 95))} ms, p99 ${fmt(percentile(ms, 99))} ms, max ${fmt(Math.max(...ms))} ms`
}

async function main() {
  const dataDir = tempDataDir()
  const server = await startServer({ dataDir, args: ['--admin-token', ADMIN, '--rate-limit', '0'] })
  const backupsDir = tempDataDir()
  try {
    // 1,000 documents of 1–16 KB of text, stored through the API, 16 at a time.
    const started = performance.now()
    for (let next = 0; next < DOCS; ) {
      const batch = Array.from({ length: Math.min(16, DOCS - next) }, (_, i) => next + i)
      next += batch.length
      await Promise.all(
        batch.map(async (i) => {
          const response = await fetch(`${server.httpUrl}/api/docs/stored/${i}`, {
            method: 'PUT',
            headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'text/plain' },
            body: `document ${i}: ${'lorem ipsum dolor sit amet '.repeat(40 + ((i * 37) % 560))}\n`
          })
          if (!response.ok) throw new Error(`PUT stored/${i}: ${response.status} ${await response.text()}`)
        })
      )
    }
    console.log(`stored ${DOCS} documents in ${fmt((performance.now() - started) / 1000)} s; data folder ${fmt(folderBytes(dataDir) / 1e6)} MB`)

    const samples: Sample[] = []
    const typists = await Promise.all(Array.from({ length: TYPISTS }, (_, i) => typist(server.wsUrl, `stored/${i * Math.floor(DOCS / TYPISTS)}`, samples)))
    await sleep(1000) // warm up
    samples.length = 0
    const baselineFrom = performance.now()
    await sleep(BASELINE_MS)
    const baselineTo = performance.now()

    const windows: Array<{ from: number; to: number }> = []
    for (let b = 0; b < BACKUPS; b++) {
      const to = join(backupsDir, `backup-${b}`)
      const from = performance.now()
      const run = await runCli(['backup', '--url', server.httpUrl, '--token', ADMIN, '--to', to])
      const until = performance.now()
      if (run.code !== 0) throw new Error(`backup failed: ${run.stderr}`)
      windows.push({ from, to: until })
      const sent = server.logs.filter((line) => line.msg === 'online backup sent').at(-1)
      console.log(
        `backup ${b + 1}: ${fmt((until - from) / 1000)} s wall (command, process start included); ${run.stdout.trim()}; server streamed it in ${sent?.ms} ms; folder ${fmt(folderBytes(to) / 1e6)} MB`
      )
      await sleep(1000)
    }
    await sleep(500)
    await Promise.all(typists.map((t) => t.stop()))

    const baseline = samples.filter((s) => s.sentAt >= baselineFrom && s.sentAt < baselineTo)
    const during = samples.filter((s) => windows.some((w) => s.sentAt >= w.from && s.sentAt < w.to))
    console.log(`time to acknowledgement, ${TYPISTS} typists at one key per ${KEY_INTERVAL_MS} ms each:`)
    console.log(`  without a backup: ${summary(baseline)}`)
    console.log(`  during backups:   ${summary(during)}`)
    // Other work on the machine shows in every figure above.
    console.log(
      `load average (1, 5, 15 min) at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')}`
    )
  } finally {
    await server.kill('SIGTERM')
    rmSync(dataDir, { recursive: true, force: true })
    rmSync(backupsDir, { recursive: true, force: true })
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
