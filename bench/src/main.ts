/**
 * The side-by-side benchmark: Quire, the classic y-websocket server with LevelDB, Hocuspocus with
 * classic-level, and a bare ws relay, each in its own process (pinned to core 0), driven by this
 * process (pinned to core 1). Warm-up, then rounds with the servers interleaved, medians with
 * ratios to the relay, target verdicts, raw JSON in bench/results/.
 *
 *   node dist/main.js                 full run (about 20 minutes)
 *   node dist/main.js --smoke         tiny sizes, every server and workload; asserts correctness
 *   options: --only W1,W3  --servers quire,relay  --rounds N  --profile (CPU profile of Quire in W2)
 *            --threads (W1, W2: each server thread's CPU and wait for the core, LevelDB's LOG)
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadTrace, TRACES_DIR } from '@quire/testkit'
import * as Y from 'yjs'
import { type BenchConfig, FULL, SMOKE } from './config.js'
import { summarizeProfile } from './profile.js'
import { aggregate, judge, table, verdictLines } from './report.js'
import { type Check, type Measurement, Recorder, type WorkloadId } from './results.js'
import { PATHS, packageVersion, running, SERVER_NAMES, SERVERS, type ServerName, ServerProcess, type ServerSpec } from './servers.js'
import { appendUpdate, ROOT } from './updates.js'
import { cpuSnapshot, fmt, foreignLoad, log, pinning, pinSelf } from './util.js'
import { clientId, type RunContext } from './workloads/common.js'
import { fanOut, runW1 } from './workloads/w1.js'
import { manyDocuments, runW2 } from './workloads/w2.js'
import { cleanupW3, prepareW3, runW3 } from './workloads/w3.js'
import { runW4 } from './workloads/w4.js'
import { runW5 } from './workloads/w5.js'
import { runW6 } from './workloads/w6.js'

// `pnpm bench -- --only W1` passes the `--` through; it separates nothing here.
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    servers: { type: 'string' },
    rounds: { type: 'string' },
    profile: { type: 'boolean', default: false },
    threads: { type: 'boolean', default: false }
  }
})

const config: BenchConfig = structuredClone(args.smoke ? SMOKE : FULL)
if (args.rounds) config.rounds = Number(args.rounds)
const workloads = (args.only?.split(',') ?? ['W1', 'W2', 'W3', 'W4', 'W5', 'W6']) as WorkloadId[]
const servers = (args.servers?.split(',') ?? [...SERVER_NAMES]) as ServerName[]
for (const name of servers) if (!SERVERS[name]) throw new Error(`unknown server ${name}; known: ${SERVER_NAMES.join(', ')}`)

const benchDir = fileURLToPath(new URL('..', import.meta.url))
const resultsDir = join(benchDir, 'results')
mkdirSync(resultsDir, { recursive: true })
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)
const profileDir = args.profile ? join(resultsDir, `profile-${stamp}`) : undefined

const sink = { measurements: [] as Measurement[], checks: [] as Check[] }
const trace = loadTrace('automerge-paper', 30_000)

// Stop every server we started if the harness is interrupted.
const killAll = () => {
  for (const server of running) server.proc.kill('SIGKILL')
}
process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    killAll()
    process.exit(130)
  })

// Bounded in time whatever happens: the smoke mode in 3 minutes, the full run in 40.
const watchdogMinutes = config.mode === 'smoke' ? 3 : 40
setTimeout(() => {
  process.stderr.write(`bench: still running after ${watchdogMinutes} minutes; stopping\n0 passed, 1 failed\n`)
  killAll()
  process.exit(1)
}, watchdogMinutes * 60_000).unref()

async function main(): Promise<number> {
  // y-websocket's provider adds a process 'exit' listener per instance; hundreds are expected here.
  process.setMaxListeners(0)
  pinSelf()
  const started = performance.now()
  const environment = describeEnvironment()
  log(`mode ${config.mode}, ${config.rounds} round(s), workloads ${workloads.join(' ')}, servers ${servers.join(' ')}`)
  log(
    pinning.enabled
      ? `pinned: servers on core ${pinning.serverCore}, load generator on core ${pinning.loadCore}`
      : 'not pinned (taskset missing or fewer than 2 cores)'
  )
  log(
    trace.synthetic
      ? `NOTE: ${TRACES_DIR}/automerge-paper.json.gz not found: using a seeded synthetic trace (${trace.txns.length} edits)`
      : `trace: automerge-paper (${trace.txns.length} edits)`
  )

  selfCheck()

  const withRelay = servers
  const persistent = servers.filter((s) => SERVERS[s].persistent)
  const rotate = <T>(list: T[], by: number) => list.map((_, i) => list[(i + by) % list.length]!)
  const context = (workload: WorkloadId, server: ServerName, round: number, cfg = config): RunContext => ({
    config: cfg,
    trace,
    rec: new Recorder(workload, server, round, sink),
    cpuProfDir: undefined,
    threads: args.threads
  })
  const guarded = async (workload: WorkloadId, server: ServerName, round: number, body: () => Promise<void>) => {
    const t = performance.now()
    try {
      await body()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      sink.checks.push({ workload, server, round, what: `${workload} ran to the end`, ok: false, detail: message })
      log(`${workload} ${server} round ${round} FAILED: ${message}`)
    }
    log(`${workload} ${server} round ${round}: ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }

  if (config.mode === 'full' && (workloads.includes('W1') || workloads.includes('W2'))) {
    log('warm-up')
    const scratch = { measurements: [] as Measurement[], checks: [] as Check[] }
    for (const name of withRelay) {
      const server = await ServerProcess.start(SERVERS[name])
      const ctx: RunContext = { config: SMOKE, trace, rec: new Recorder('W1', name, 0, scratch), cpuProfDir: undefined }
      await fanOut(server, ctx, 1000, 10, undefined)
      await manyDocuments(server, ctx, 'flat', false)
      await server.stop()
      rmSync(server.dataDir, { recursive: true, force: true })
    }
  }

  const background: Record<string, number> = {}
  for (const workload of workloads) {
    const before = cpuSnapshot()
    const list = workload === 'W3' || workload === 'W5' || workload === 'W6' ? persistent : withRelay
    const rounds = workload === 'W6' ? Math.min(config.rounds, config.w6.rounds) : config.rounds
    let folders = new Map<ServerName, Map<number, string>>()
    if (workload === 'W3') {
      for (const name of list) {
        await guarded('W3', name, 0, async () => {
          folders.set(name, await prepareW3(SERVERS[name], context('W3', name, 0)))
        })
      }
    }
    for (let round = 1; round <= rounds; round++) {
      for (const name of rotate(list, round - 1)) {
        const spec: ServerSpec = SERVERS[name]
        const ctx = context(workload, name, round)
        await guarded(workload, name, round, async () => {
          switch (workload) {
            case 'W1':
            case 'W2': {
              const cpuProfDir = workload === 'W2' && name === 'quire' && round === 1 ? profileDir : undefined
              const server = await ServerProcess.start(spec, cpuProfDir ? { cpuProfDir } : {})
              try {
                await (workload === 'W1' ? runW1(server, ctx) : runW2(server, ctx))
              } finally {
                await server.stop()
                rmSync(server.dataDir, { recursive: true, force: true })
              }
              return
            }
            case 'W3': {
              const prepared = folders.get(name)
              if (!prepared) throw new Error('its data folders could not be prepared')
              return runW3(spec, ctx, prepared)
            }
            case 'W4':
              return runW4(spec, ctx)
            case 'W5':
              return runW5(spec, ctx)
            case 'W6':
              return runW6(spec, ctx)
          }
        })
      }
    }
    for (const prepared of folders.values()) cleanupW3(prepared)
    folders = new Map()
    background[workload] = foreignLoad(before, cpuSnapshot())
  }

  const rows = aggregate(sink.measurements)
  const verdicts = judge(rows, sink.checks)
  const failed = sink.checks.filter((c) => !c.ok)
  const minutes = (performance.now() - started) / 60_000
  const markdown = [
    `Mode: ${config.mode}, ${config.rounds} round(s), medians; in brackets: ratio to the bare relay. Run took ${minutes.toFixed(1)} min.`,
    ...(config.mode === 'smoke' ? ['SMOKE SIZES: the figures only show that every path runs; judge nothing by them.'] : []),
    `Other processes on the machine used ${Object.entries(background)
      .map(([w, v]) => `${fmt(v, 2)}% (${w})`)
      .join(', ')} of its CPU while the workloads ran.`,
    `Trace: ${trace.synthetic ? `SYNTHETIC (seeded; ${TRACES_DIR} missing)` : 'automerge-paper.json.gz'}.`,
    '',
    table(rows),
    '',
    'Targets:',
    '',
    verdictLines(verdicts),
    '',
    `Correctness checks: ${sink.checks.length - failed.length} passed, ${failed.length} failed.`,
    ...failed.map((c) => `- FAILED ${c.workload} ${c.server} round ${c.round}: ${c.what}${c.detail ? ` (${c.detail})` : ''}`)
  ].join('\n')
  process.stdout.write(`\n${environment.text}\n\n${markdown}\n`)

  const file = join(resultsDir, `bench-${config.mode}-${stamp}.json`)
  writeFileSync(
    file,
    JSON.stringify(
      { environment: environment.data, background, config, workloads, servers, rows, verdicts, checks: sink.checks, measurements: sink.measurements },
      null,
      2
    )
  )
  writeFileSync(join(resultsDir, `latest-${config.mode}.md`), `${environment.text}\n\n${markdown}\n`)
  log(`raw results: ${file}`)

  if (profileDir) {
    const profiles = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))
    for (const profile of profiles)
      process.stdout.write(`\nCPU profile of Quire under W2 (${join(profileDir, profile)}):\n${summarizeProfile(join(profileDir, profile))}\n`)
  }

  process.stdout.write(`\n${sink.checks.length - failed.length} passed, ${failed.length} failed\n`)
  return failed.length === 0 ? 0 : 1
}

/** The hand-encoded updates must be exactly what Yjs produces for the same typing. */
function selfCheck(): void {
  const doc = new Y.Doc()
  doc.clientID = clientId(7)
  const text = doc.getText(ROOT)
  const made: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => made.push(update))
  let clock = 0
  let same = true
  for (const chunk of ['a', 'bc', 'd', 'efghij']) {
    text.insert(text.length, chunk)
    same &&= Buffer.from(made[made.length - 1]!).equals(appendUpdate(clientId(7), clock, chunk))
    clock += chunk.length
  }
  sink.checks.push({ workload: 'harness', server: 'harness', round: 0, what: 'hand-encoded updates are byte-equal to Yjs updates', ok: same })
  doc.destroy()
}

function describeEnvironment() {
  const require = createRequire(PATHS.classic)
  const yLeveldb = (() => {
    try {
      return (require('y-leveldb/package.json') as { version: string }).version
    } catch {
      return 'missing'
    }
  })()
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: benchDir, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../packages/sync-server'], { cwd: benchDir, encoding: 'utf8' }).trim()
    if (dirty) commit += ' (sync-server has uncommitted changes)'
  } catch {}
  const data = {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    pinned: pinning.enabled,
    quire: `${packageVersion('@quire/sync-server')} @ ${commit}`,
    versions: {
      yjs: packageVersion('yjs'),
      'y-websocket': packageVersion('y-websocket'),
      'y-leveldb': yLeveldb,
      '@hocuspocus/server': packageVersion('@hocuspocus/server'),
      '@hocuspocus/extension-database': packageVersion('@hocuspocus/extension-database'),
      '@hocuspocus/provider': packageVersion('@hocuspocus/provider'),
      'classic-level': packageVersion('classic-level'),
      ws: packageVersion('ws')
    }
  }
  const text = [
    `Machine: ${data.cpu}, ${data.cores} cores, ${data.memoryGiB} GiB, Linux ${data.kernel}, Node ${data.node}; ${data.pinned ? 'servers pinned to core 0, load generator to core 1' : 'no CPU pinning'}.`,
    `Versions: Quire ${data.quire}; ${Object.entries(data.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`
  ].join('\n')
  return { data, text }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  }
)
