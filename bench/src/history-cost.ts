/**
 * History cost per trace (issue 12): a single writer types each trace into a Y.Doc, and versions
 * are cut the way the server cuts them (after a pause of at least --history-idle-ms, or once a
 * version spans --history-max-ms of typing) with the server's own code, stored as the server
 * stores them (version records and the head record, deflated). Reported per trace: the bytes of
 * all versions against `Y.encodeStateAsUpdate` of the final document, and the time to open a
 * version's text from its records with nothing cached (the newest and one in the middle: the
 * nearest stored checkpoint, then every version after it), then the newest again with the cache
 * the first open left.
 *
 * The traces carry no timestamps, so typing is modelled (seeded): one transaction every 150 ms,
 * and a pause longer than the idle time after a transaction with probability 1/`pauseEvery`.
 *
 *   node dist/history-cost.js [--traces automerge-paper,rustcode] [--pause-every 200,2000] [--seed 12]
 */
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { cutVersion, EMPTY_BASE, encodeVersion, HistoryReader, type VersionBase, writeHeadRecord } from '@quire/sync-server'
import { loadTrace, rng, seedFor } from '@quire/testkit'
import * as Y from 'yjs'

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    traces: { type: 'string', default: 'automerge-paper,seph-blog1,rustcode,sveltecomponent' },
    'pause-every': { type: 'string', default: '200,2000' },
    seed: { type: 'string' }
  }
})

const KEY_MS = 150
const IDLE_MS = 10_000
const MAX_MS = 5 * 60_000

interface Row {
  trace: string
  pauseEvery: number
  versions: number
  historyBytes: number
  stateBytes: number
  newestMs: number
  newestCpuMs: number
  middleMs: number
  warmMs: number
  /** Building the final state from one update: what opening the live document costs, for scale. */
  stateMs: number
}

function measure(name: string, pauseEvery: number, seed: number): Row {
  const trace = loadTrace(name)
  const random = rng(seed)
  const doc = new Y.Doc()
  const text = doc.getText('codemirror')
  if (trace.startContent) text.insert(0, trace.startContent)
  const records: Array<{ id: number; value: Uint8Array }> = []
  let base: VersionBase = EMPTY_BASE
  // Checkpoints as the server stores them (checkpoints.ts): the same policy, the same budget.
  const progress = { bytes: 0, sinceCheckpoint: 0 }
  let clock = 0
  let start: number | undefined
  const cut = (end: number) => {
    const made = cutVersion(doc, base)
    base = made.base
    const id = records.length + 1
    records.push({
      id,
      value: encodeVersion(
        progress,
        {
          id,
          start: start ?? end,
          end,
          kind: 'edit',
          label: null,
          added: made.added,
          removed: made.removed,
          authors: [{ name: 'Writer', verified: true, color: '#30bced', clients: [doc.clientID] }],
          delta: made.delta
        },
        () => Y.encodeStateAsUpdate(doc)
      )
    })
    start = undefined
  }
  for (const txn of trace.txns) {
    doc.transact(() => {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) text.delete(pos, del)
        if (ins) text.insert(pos, ins)
      }
    })
    start ??= clock
    clock += KEY_MS
    if (random() < 1 / pauseEvery) {
      cut(clock)
      clock += IDLE_MS + 5_000
    } else if (clock - start >= MAX_MS) cut(clock)
  }
  if (start !== undefined) cut(clock)
  if (text.toString() !== trace.endContent) throw new Error(`${name}: replay does not end with the trace's text`)
  const head = writeHeadRecord({ lastId: records.length, enabled: true, prunedAt: 0, bytes: progress.bytes, sinceCheckpoint: progress.sinceCheckpoint, base })
  const historyBytes = records.reduce((sum, r) => sum + r.value.length, 0) + head.length
  const stateBytes = Y.encodeStateAsUpdate(doc).length
  // Wall time, and CPU time of this process (on a loaded machine the two differ a lot).
  const open = (key: string, index: number, expected?: string) => {
    const reader = new HistoryReader(key, { head, versions: records })
    const cpu = process.cpuUsage()
    const started = performance.now()
    const opened = reader.text(index)
    const ms = performance.now() - started
    const used = process.cpuUsage(cpu)
    if (expected !== undefined && opened !== expected) throw new Error(`${name}: version ${index + 1} opens to the wrong text`)
    return { ms, cpuMs: (used.user + used.system) / 1000 }
  }
  const last = records.length - 1
  const newest = open(`${name}/${pauseEvery}/cold-newest`, last, trace.endContent)
  const middleMs = open(`${name}/${pauseEvery}/cold-middle`, Math.floor(last / 2)).ms
  const warmMs = open(`${name}/${pauseEvery}/cold-newest`, last, trace.endContent).ms
  const state = Y.encodeStateAsUpdate(doc)
  const started = performance.now()
  const built = new Y.Doc()
  Y.applyUpdate(built, state)
  const stateMs = performance.now() - started
  built.destroy()
  doc.destroy()
  return {
    trace: trace.name,
    pauseEvery,
    versions: records.length,
    historyBytes,
    stateBytes,
    newestMs: newest.ms,
    newestCpuMs: newest.cpuMs,
    middleMs,
    warmMs,
    stateMs
  }
}

const seed = seedFor(Number(args.seed ?? 12))
const rows: Row[] = []
// A server opening a version has run this code before: warm it up on a small trace, not measured.
measure('sveltecomponent', 2000, seed)
console.log(`history cost: one writer, a keystroke every ${KEY_MS} ms, idle ${IDLE_MS / 1000} s, max span ${MAX_MS / 60_000} min, seed ${seed}`)
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`
)
console.log(
  '| trace | pause every | versions | all versions (bytes) | live state (bytes) | ratio | open newest, cold: wall / CPU (ms) | open middle, cold (ms) | open newest again (ms) | live state alone (ms) |'
)
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const name of (args.traces ?? '').split(',').filter(Boolean)) {
  for (const every of (args['pause-every'] ?? '').split(',').map(Number)) {
    const row = measure(name, every, seed)
    rows.push(row)
    console.log(
      `| ${row.trace} | ${every} keys | ${row.versions} | ${row.historyBytes} | ${row.stateBytes} | ${(row.historyBytes / row.stateBytes).toFixed(2)}x | ${row.newestMs.toFixed(1)} / ${row.newestCpuMs.toFixed(1)} | ${row.middleMs.toFixed(1)} | ${row.warmMs.toFixed(1)} | ${row.stateMs.toFixed(1)} |`
    )
  }
}
const worst = rows.reduce((a, b) => (b.historyBytes / b.stateBytes > a.historyBytes / a.stateBytes ? b : a), rows[0]!)
console.log(
  `\nlargest ratio ${(worst.historyBytes / worst.stateBytes).toFixed(2)}x (${worst.trace}, pause every ${worst.pauseEvery}); slowest cold open ${Math.max(...rows.map((r) => r.newestMs)).toFixed(1)} ms`
)
