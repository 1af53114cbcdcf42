/**
 * Cluster rows (issue 14; run on demand, not in `pnpm test`): Quire alone (LevelDB) beside Quire
 * instances sharing one redis-server (AOF on, appendfsync always). Fan-out: W1's writer on
 * instance 0, its readers on the other instances; throughput: W2 flat out with the three clients
 * of each document on different instances, for one, two and three instances.
 *
 *   pnpm --filter @quire/sync-server build && cd bench && npx tsc -p tsconfig.json && node dist/cluster.js [--rate 100] [--readers 30] [--rounds 2]
 */
import { rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { loadTrace, redisCli, startRedis } from '@quire/testkit'
import { FULL } from './config.js'
import { type Check, type Measurement, Recorder } from './results.js'
import { SERVERS, ServerProcess } from './servers.js'
import { fmt, percentile } from './util.js'
import type { RunContext } from './workloads/common.js'
import { fanOut } from './workloads/w1.js'
import { manyDocuments } from './workloads/w2.js'

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    readers: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '10' },
    docs: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '2' }
  }
})
const RATE = Number(values.rate)
const READERS = Number(values.readers)
const ROUNDS = Number(values.rounds)
const config = {
  ...FULL,
  w1: { rates: [RATE], readers: [READERS], seconds: Number(values.seconds), warmupFraction: 0.05 },
  w2: { ...FULL.w2, docs: Number(values.docs) }
}
const trace = loadTrace('automerge-paper', 30_000)
const sink: { measurements: Measurement[]; checks: Check[] } = { measurements: [], checks: [] }
const context = (round: number): RunContext => ({ config, trace, rec: new Recorder('W1', 'quire', round, sink), cpuProfDir: undefined })

/** Every figure of one setup, by metric. */
const figures = new Map<string, number[]>()
const note = (setup: string, metric: string, value: number) => {
  const key = `${setup}|${metric}`
  figures.set(key, [...(figures.get(key) ?? []), value])
}
// The last measurement the workload recorded under `metric`.
const last = (metric: string) => sink.measurements.filter((m) => m.metric === metric).at(-1)?.value ?? Number.NaN

const redis = await startRedis()
const started: ServerProcess[] = []
const instances = async (count: number, cluster: boolean): Promise<ServerProcess[]> => {
  const made = await Promise.all(Array.from({ length: count }, () => ServerProcess.start(SERVERS.quire, { quireArgs: cluster ? ['--redis', redis.url] : [] })))
  started.push(...made)
  return made
}
const stop = async (servers: ServerProcess[]) => {
  await Promise.all(servers.map((server) => server.stop()))
  for (const server of servers) rmSync(server.dataDir, { recursive: true, force: true })
}

console.log(
  `cluster bench: ${trace.synthetic ? 'synthetic trace' : 'automerge-paper'}; load average before ${loadavg()
    .map((value) => fmt(value))
    .join(' ')}`
)
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const setups: Array<[string, number, boolean]> = [
      ['Quire alone (LevelDB)', 1, false],
      ['cluster, 1 instance', 1, true],
      ['cluster, 2 instances', 2, true],
      ['cluster, 3 instances', 3, true]
    ]
    for (const [setup, count, cluster] of setups) {
      // Every setup types the same documents with the same client ids: it starts from an empty Redis.
      redisCli(redis.port, 'FLUSHALL')
      const servers = await instances(count, cluster)
      const ctx = context(round)
      const urls = servers.map((server) => server.baseUrl)
      // Warm-up, then the measured fan-out: readers on the instances other than the writer's.
      await fanOut(servers[0]!, ctx, RATE, 3, undefined, urls.length > 1 ? urls.slice(1) : urls)
      await fanOut(servers[0]!, ctx, RATE, READERS, `${setup} fan-out`, urls.length > 1 ? urls.slice(1) : urls)
      note(setup, 'fan-out p50 ms', last('p50 latency'))
      note(setup, 'fan-out p99 ms', last('p99 latency'))
      await manyDocuments(servers[0]!, ctx, 'flat', true, urls)
      note(setup, 'flat-out edits/s', last('edits relayed'))
      note(setup, 'load average', loadavg()[0]!)
      console.log(
        `round ${round}, ${setup}: fan-out p50 ${fmt(last('p50 latency'))} ms, p99 ${fmt(last('p99 latency'))} ms; flat out ${fmt(last('edits relayed'))} edits/s; load ${fmt(loadavg()[0])}`
      )
      await stop(servers)
    }
  }
} finally {
  await Promise.all(started.map((server) => server.kill().catch(() => undefined)))
  await redis.kill('SIGKILL')
  rmSync(redis.dir, { recursive: true, force: true })
}

const failed = sink.checks.filter((check) => !check.ok)
console.log(`\n| setup | fan-out p50 (ms) | fan-out p99 (ms) | W2 flat out (edits/s) | load average |\n|---|---|---|---|---|`)
const setupsSeen = [...new Set([...figures.keys()].map((key) => key.split('|')[0]!))]
for (const setup of setupsSeen) {
  const median = (metric: string) => percentile(figures.get(`${setup}|${metric}`) ?? [], 50)
  console.log(
    `| ${setup} | ${fmt(median('fan-out p50 ms'))} | ${fmt(median('fan-out p99 ms'))} | ${fmt(median('flat-out edits/s'))} | ${fmt(median('load average'))} |`
  )
}
console.log(
  `\n${sink.checks.length - failed.length}/${sink.checks.length} checks passed${failed.map((check) => `\nFAILED: ${check.what} ${check.detail ?? ''}`).join('')}`
)
process.exitCode = failed.length > 0 ? 1 : 0
