/** Sizes of every workload, for the full run and for the smoke mode. */

export interface BenchConfig {
  mode: 'full' | 'smoke'
  /** Measured rounds; servers are interleaved within each round. */
  rounds: number
  w1: { rates: number[]; readers: number[]; seconds: number; warmupFraction: number }
  w2: { docs: number; clientsPerDoc: number; humanOpsPerSecond: number; flatWindow: number; rampMs: number; windowMs: number }
  w3: { sizes: number[] }
  w4: {
    docs: number
    updatesPerDoc: number
    charsPerUpdate: number
    idleConnections: number
    quietMs: number
    warmDocs: number
    settleSamples: number
    settleIntervalMs: number
  }
  w5: { clients: number; docs: number }
  w6: { txns: number; rounds: number }
}

export const FULL: BenchConfig = {
  mode: 'full',
  rounds: 3,
  w1: { rates: [100, 1000], readers: [10, 50], seconds: 5, warmupFraction: 0.05 },
  w2: { docs: 100, clientsPerDoc: 3, humanOpsPerSecond: 5, flatWindow: 64, rampMs: 1000, windowMs: 5000 },
  w3: { sizes: [10_000, 100_000] },
  w4: { docs: 300, updatesPerDoc: 400, charsPerUpdate: 10, idleConnections: 1000, quietMs: 12_000, warmDocs: 50, settleSamples: 8, settleIntervalMs: 1000 },
  w5: { clients: 500, docs: 50 },
  w6: { txns: 20_000, rounds: 3 }
}

export const SMOKE: BenchConfig = {
  mode: 'smoke',
  rounds: 1,
  w1: { rates: [200], readers: [3], seconds: 1, warmupFraction: 0 },
  w2: { docs: 4, clientsPerDoc: 3, humanOpsPerSecond: 5, flatWindow: 4, rampMs: 200, windowMs: 600 },
  w3: { sizes: [200, 1000] },
  w4: { docs: 5, updatesPerDoc: 20, charsPerUpdate: 10, idleConnections: 20, quietMs: 500, warmDocs: 2, settleSamples: 2, settleIntervalMs: 100 },
  w5: { clients: 20, docs: 4 },
  w6: { txns: 400, rounds: 1 }
}
