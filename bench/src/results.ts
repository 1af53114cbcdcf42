/** What workloads report: measured figures (one per server and round) and correctness checks. */
import type { ServerName } from './servers.js'

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6'

export interface Measurement {
  workload: WorkloadId
  /** The case within the workload, e.g. "1000 ops/s, 50 readers". */
  case: string
  metric: string
  unit: string
  /** Which direction is better. */
  better: 'lower' | 'higher' | 'none'
  server: ServerName
  round: number
  value: number
}

export interface Check {
  workload: WorkloadId | 'harness'
  server: ServerName | 'harness'
  round: number
  what: string
  ok: boolean
  detail?: string
}

/** Collects everything a run produces. */
export class Recorder {
  constructor(
    readonly workload: WorkloadId,
    readonly server: ServerName,
    readonly round: number,
    private readonly sink: { measurements: Measurement[]; checks: Check[] }
  ) {}

  measure(caseName: string, metric: string, unit: string, better: Measurement['better'], value: number): void {
    this.sink.measurements.push({ workload: this.workload, case: caseName, metric, unit, better, server: this.server, round: this.round, value })
  }

  check(what: string, ok: boolean, detail?: string): void {
    this.sink.checks.push({ workload: this.workload, server: this.server, round: this.round, what, ok, ...(detail === undefined ? {} : { detail }) })
  }
}
