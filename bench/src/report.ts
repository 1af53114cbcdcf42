/** Medians, ratios, target verdicts and the Markdown table. */
import type { Check, Measurement, WorkloadId } from './results.js'
import { SERVERS, type ServerName } from './servers.js'
import { fmt, median } from './util.js'

export interface Row {
  workload: WorkloadId
  case: string
  metric: string
  unit: string
  better: Measurement['better']
  /** Median over rounds, per server. */
  medians: Partial<Record<ServerName, number>>
  /** Every round's value, per server. */
  values: Partial<Record<ServerName, number[]>>
}

export interface Verdict {
  target: string
  met: boolean | undefined
  detail: string
}

export function aggregate(measurements: Measurement[]): Row[] {
  const rows = new Map<string, Row>()
  for (const m of measurements) {
    const key = `${m.workload}\u0000${m.case}\u0000${m.metric}`
    let row = rows.get(key)
    if (!row) rows.set(key, (row = { workload: m.workload, case: m.case, metric: m.metric, unit: m.unit, better: m.better, medians: {}, values: {} }))
    ;(row.values[m.server] ??= []).push(m.value)
  }
  for (const row of rows.values()) for (const [server, values] of Object.entries(row.values)) row.medians[server as ServerName] = median(values)
  return [...rows.values()].sort((a, b) => a.workload.localeCompare(b.workload))
}

const find = (rows: Row[], workload: WorkloadId, metric: string, caseIncludes = '') =>
  rows.filter((r) => r.workload === workload && r.metric === metric && r.case.includes(caseIncludes))

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b !== 0 ? a / b : Number.NaN)

function verdict(target: string, value: number, limit: number, direction: 'max' | 'min', detail: string): Verdict {
  if (!Number.isFinite(value)) return { target, met: undefined, detail: `not measured (${detail})` }
  const met = direction === 'max' ? value <= limit : value >= limit
  return { target, met, detail }
}

/** The targets, judged from one run's medians. */
export function judge(rows: Row[], checks: Check[]): Verdict[] {
  const out: Verdict[] = []
  for (const row of find(rows, 'W1', 'p99 latency')) {
    const r = ratio(row.medians.quire, row.medians.relay)
    out.push(verdict(`W1 p99 ≤ 1.2x relay (${row.case})`, r, 1.2, 'max', `${fmt(row.medians.quire)} ms vs ${fmt(row.medians.relay)} ms = ${fmt(r)}x`))
  }
  // Issue 15: the tail and the median no worse than the classic server's.
  for (const metric of ['p50 latency', 'p99 latency']) {
    for (const row of find(rows, 'W1', metric)) {
      const r = ratio(row.medians.quire, row.medians.classic)
      out.push(verdict(`W1 ${metric} ≤ classic (${row.case})`, r, 1, 'max', `${fmt(row.medians.quire)} ms vs ${fmt(row.medians.classic)} ms = ${fmt(r)}x`))
    }
  }
  for (const row of find(rows, 'W2', 'edits relayed', 'flat out')) {
    const r = ratio(row.medians.quire, row.medians.relay)
    out.push(verdict('W2 flat-out throughput ≥ 0.8x relay', r, 0.8, 'min', `${fmt(row.medians.quire)}/s vs ${fmt(row.medians.relay)}/s = ${fmt(r)}x`))
  }
  const cold = find(rows, 'W3', 'connect to synced')
  for (const row of cold) {
    const r = ratio(row.medians.quire, row.medians.hocuspocus)
    out.push(
      verdict(`W3 cold load ≤ 0.5x Hocuspocus (${row.case})`, r, 0.5, 'max', `${fmt(row.medians.quire)} ms vs ${fmt(row.medians.hocuspocus)} ms = ${fmt(r)}x`)
    )
  }
  if (cold.length >= 2) {
    const small = cold[0]!
    const large = cold[cold.length - 1]!
    const r = ratio(large.medians.quire, small.medians.quire)
    out.push(
      verdict(`W3 flat: ${large.case} ≤ 1.2x ${small.case}`, r, 1.2, 'max', `${fmt(large.medians.quire)} ms vs ${fmt(small.medians.quire)} ms = ${fmt(r)}x`)
    )
  }
  // Issue 15: RSS, what a container limit sees, against the classic server.
  for (const row of find(rows, 'W4', 'memory per doc (RSS)')) {
    const r = ratio(row.medians.quire, row.medians.classic)
    out.push(verdict('W4 memory per doc (RSS) ≤ 0.5x classic', r, 0.5, 'max', `${fmt(row.medians.quire)} KB vs ${fmt(row.medians.classic)} KB = ${fmt(r)}x`))
  }
  for (const metric of ['memory per doc (heap+external)']) {
    for (const row of find(rows, 'W4', metric)) {
      const peers = [row.medians.classic, row.medians.hocuspocus].filter((v): v is number => v !== undefined && Number.isFinite(v))
      const lower = peers.length > 0 ? Math.min(...peers) : Number.NaN
      const r = ratio(row.medians.quire, lower)
      out.push(verdict(`W4 ${metric} ≤ 0.5x the lower peer`, r, 0.5, 'max', `${fmt(row.medians.quire)} KB vs ${fmt(lower)} KB = ${fmt(r)}x`))
    }
  }
  for (const row of find(rows, 'W5', 'restart to all resynced')) {
    const quireChecks = checks.filter((c) => c.workload === 'W5' && c.server === 'quire')
    const allOk = quireChecks.length > 0 && quireChecks.every((c) => c.ok)
    const r = ratio(row.medians.quire, row.medians.classic)
    const met = Number.isFinite(r) ? allOk && r < 1 : undefined
    out.push({
      target: 'W5 all resynced, nothing lost, sooner than classic',
      met,
      detail: `${allOk ? 'nothing lost' : 'LOSS or no resync'}; ${fmt(row.medians.quire)} ms vs ${fmt(row.medians.classic)} ms = ${fmt(r)}x`
    })
  }
  for (const row of find(rows, 'W6', 'stored / encodeStateAsUpdate')) {
    const r = row.medians.quire ?? Number.NaN
    out.push(verdict('W6 stored ≤ 1.5x Y.encodeStateAsUpdate', r, 1.5, 'max', `${fmt(r)}x`))
  }
  return out
}

const COLUMNS: ServerName[] = ['quire', 'classic', 'hocuspocus', 'relay']

/** The results table: medians, and in brackets the ratio to the bare relay where it has the figure. */
export function table(rows: Row[]): string {
  const header = `| | case | metric | ${COLUMNS.map((s) => SERVERS[s].label).join(' | ')} |`
  const rule = `|---|---|---|${COLUMNS.map(() => '---:').join('|')}|`
  const lines = rows.map((row) => {
    const relay = row.medians.relay
    const cells = COLUMNS.map((server) => {
      const value = row.medians[server]
      if (value === undefined) return 'n/a'
      if (!Number.isFinite(value)) return 'failed'
      const showRatio = server !== 'relay' && relay !== undefined && Number.isFinite(relay) && relay !== 0 && row.better !== 'none'
      return showRatio ? `${fmt(value)} (${fmt(value / relay)}x)` : fmt(value)
    })
    return `| ${row.workload} | ${row.case} | ${row.metric} (${row.unit}) | ${cells.join(' | ')} |`
  })
  return [header, rule, ...lines].join('\n')
}

export function verdictLines(verdicts: Verdict[]): string {
  return verdicts.map((v) => `- ${v.met === undefined ? 'NOT MEASURED' : v.met ? 'MET' : 'MISSED'}: ${v.target}: ${v.detail}`).join('\n')
}
