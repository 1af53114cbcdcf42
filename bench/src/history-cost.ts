/**
 * History cost per trace (issue 12): a single writer types each trace into a Y.Doc, and versions
 * are cut the way the server cuts them (after a pause of at least --history-idle-ms, or once a
 * version spans --history-max-ms of typing) with the server's own code, stored as the server
 * stores them (version records and the head record, deflated). Reported per trace: the bytes of
 * all versions against `Y.encodeStateAsUpdate` of the final document, and the time to open a
 * version's text from its records: the first open of the history (the newest), then with nothing
 * cached, the median of several opens each (CPU): the newest, the middle one, the oldest, and the
 * slowest of the versions just before each checkpoint, which replay the most (the nearest stored
 * checkpoints, then every version after them); then the newest again with the cache the first
 * open left.
 *
 * The traces carry no timestamps, so typing is modelled (seeded): one transaction every 150 ms,
 * and a pause longer than the idle time after a transaction with probability 1/`pauseEvery`. The
 * writer's Yjs client id is drawn from the seed too (a random one changes the state's size by up
 * to a tenth, and with it the budget).
 *
 *   node dist/history-cost.js [--traces automerge-paper,rustcode] [--pause-every 200,2000] [--seed 12]
 */
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { cutVersion, EMPTY_BASE, encodeVersion, HistoryReader, noCheckpoint, type VersionBase, writeHeadRecord } from '@quire/sync-server'
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
/** Cold opens of the newest, middle and oldest version, each; the median is reported. */
const REPEAT = 5
const IDLE_MS = 10_000
const MAX_MS = 5 * 60_000

interface Row {
  trace: string
  pauseEvery: number
  versions: number
  checkpoints: number
  historyBytes: number
  stateBytes: number
  /** The first open of the history, of the newest version: wall and CPU. */
  firstMs: number
  firstCpuMs: number
  /** Medians of repeated cold opens (nothing cached), CPU. */
  newestCpuMs: number
  middleCpuMs: number
  oldestCpuMs: number
  /** The slowest cold open of the versions just before each checkpoint, and the newest. */
  slowestCpuMs: number
  slowestVersion: number
  warmMs: number
  /** Building the final state from one update: what opening the live document costs, for scale. */
  stateMs: number
}

function measure(name: string, pauseEvery: number, seed: number): Row {
  const trace = loadTrace(name)
  const random = rng(seed)
  const doc = new Y.Doc()
  doc.clientID = Math.floor(random() * 0x100000000)
  const text = doc.getText('codemirror')
  if (trace.startContent) text.insert(0, trace.startContent)
  const records: Array<{ id: number; value: Uint8Array }> = []
  let base: VersionBase = EMPTY_BASE
  // Checkpoints as the server stores them (checkpoints.ts): the same policy, the same budget.
  const progress = { bytes: 0, ...noCheckpoint() }
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
        doc
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
  const head = writeHeadRecord({ lastId: records.length, enabled: true, prunedAt: 0, base, ...progress })
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
  // CPU time varies by a factor of two or more from one open to the next on a busy machine
  // (garbage collection, other processes): each cold open is repeated, a fresh cache each time,
  // and the median reported.
  let round = 0
  const coldCpu = (label: string, index: number, times: number, expected?: string) => {
    const cpu: number[] = []
    for (let i = 0; i < times; i++) cpu.push(open(`${name}/${pauseEvery}/cold-${label}-${round++}`, index, expected).cpuMs)
    return cpu.sort((a, b) => a - b)[times >> 1]!
  }
  const last = records.length - 1
  // The first open of this history, as a first request would be (code not yet optimised for documents this large).
  const first = open(`${name}/${pauseEvery}/first`, last, trace.endContent)
  const warmMs = open(`${name}/${pauseEvery}/first`, last, trace.endContent).ms
  const newestCpuMs = coldCpu('newest', last, REPEAT, trace.endContent)
  const middleCpuMs = coldCpu('middle', Math.floor(last / 2), REPEAT)
  const oldestCpuMs = coldCpu('oldest', 0, REPEAT)
  // The longest replays end just before a checkpoint (or at the newest version).
  const metas = new HistoryReader(`${name}/${pauseEvery}/list`, { head, versions: records }).versions
  const beforeCheckpoints = metas.flatMap((meta, index) => (meta.checkpointed && index > 0 ? [index - 1] : []))
  let slowest = { cpuMs: newestCpuMs, index: last }
  for (const index of beforeCheckpoints) {
    const cpuMs = coldCpu(`before-${index}`, index, 3)
    if (cpuMs > slowest.cpuMs) slowest = { cpuMs, index }
  }
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
    checkpoints: metas.filter((meta) => meta.checkpointed).length,
    historyBytes,
    stateBytes,
    firstMs: first.ms,
    firstCpuMs: first.cpuMs,
    newestCpuMs,
    middleCpuMs,
    oldestCpuMs,
    slowestCpuMs: slowest.cpuMs,
    slowestVersion: slowest.index + 1,
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
  '| trace | pause every | versions | checkpoints | all versions (bytes) | live state (bytes) | ratio | first open (newest): wall / CPU (ms) | cold newest: CPU (ms) | cold middle | cold oldest | cold slowest (version) | newest again, cached (ms) | live state alone (ms) |'
)
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const name of (args.traces ?? '').split(',').filter(Boolean)) {
  for (const every of (args['pause-every'] ?? '').split(',').map(Number)) {
    const row = measure(name, every, seed)
    rows.push(row)
    console.log(
      `| ${row.trace} | ${every} keys | ${row.versions} | ${row.checkpoints} | ${row.historyBytes} | ${row.stateBytes} | ${(row.historyBytes / row.stateBytes).toFixed(2)}x | ${row.firstMs.toFixed(1)} / ${row.firstCpuMs.toFixed(1)} | ${row.newestCpuMs.toFixed(1)} | ${row.middleCpuMs.toFixed(1)} | ${row.oldestCpuMs.toFixed(1)} | ${row.slowestCpuMs.toFixed(1)} (${row.slowestVersion}) | ${row.warmMs.toFixed(1)} | ${row.stateMs.toFixed(1)} |`
    )
  }
}
const worst = rows.reduce((a, b) => (b.historyBytes / b.stateBytes > a.historyBytes / a.stateBytes ? b : a), rows[0]!)
console.log(
  `\nlargest ratio ${(worst.historyBytes / worst.stateBytes).toFixed(2)}x (${worst.trace}, pause every ${worst.pauseEvery}); slowest cold open ${Math.max(...rows.map((r) => r.slowestCpuMs)).toFixed(1)} ms CPU (median), slowest first open ${Math.max(...rows.map((r) => r.firstCpuMs)).toFixed(1)} ms CPU`
)
