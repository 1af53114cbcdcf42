/** Pieces every workload uses: what a run gets, and connecting many wire clients at once. */

import type { Trace } from '@quire/testkit'
import { waitFor } from '@quire/testkit'
import type { BenchConfig } from '../config.js'
import type { Recorder } from '../results.js'
import { appendUpdate } from '../updates.js'
import { clockAfter, type Dialect, WireClient, type WireOptions } from '../wire.js'

export interface RunContext {
  config: BenchConfig
  trace: Trace
  rec: Recorder
  /** Folder for CPU profiles, when profiling Quire. */
  cpuProfDir: string | undefined
  /** `--threads`: account W1's and W2's server CPU per thread and read LevelDB's LOG (bench/src/threads.ts). */
  threads?: boolean
}

/** Open `options.length` wire clients; resolve once each is open and, if `synced`, has had its sync step 2. */
export async function openClients(options: WireOptions[], synced: boolean, timeoutMs = 60_000): Promise<WireClient[]> {
  const clients: WireClient[] = []
  // Connect in waves so a thousand handshakes do not all land in one event-loop turn.
  for (let i = 0; i < options.length; i += 100) {
    const wave = options.slice(i, i + 100).map((o) => new WireClient(o))
    clients.push(...wave)
    await Promise.all(wave.map((client) => client.opened))
  }
  if (synced) await waitFor(() => clients.every((client) => client.synced), `${clients.length} clients to sync`, timeoutMs)
  return clients
}

export function closeAll(clients: Array<{ close(): void }>): void {
  for (const client of clients) client.close()
}

/** Distinct Yjs client ids for simulated clients (far from random 32-bit ids). */
export const clientId = (n: number) => 1_000_000 + n

/** `chars` letters of the alphabet, starting at position `clock` of the repeating a..z sequence. */
export function lettersAt(clock: number, chars: number): string {
  let text = ''
  for (let i = 0; i < chars; i++) text += String.fromCharCode(97 + ((clock + i) % 26))
  return text
}

/** The text a single typist leaves after typing `total` characters with {@link typeDocument}. */
export function typedText(total: number): string {
  return lettersAt(0, total)
}

export interface TypeOptions {
  baseUrl: string
  dialect: Dialect
  doc: string
  /** Yjs client id of the typist. */
  typist: number
  updates: number
  charsPerUpdate: number
  /** Updates in flight (sent, not yet seen by the watcher). */
  window: number
  /** Wait for sync step 2 before typing (servers that answer it). */
  synced: boolean
  timeoutMs?: number
}

/**
 * Type `updates` separate updates into `doc` from one wire client, as fast as a second client
 * (the watcher, returned still connected) sees them relayed. Resolves once the watcher has
 * received every character; the typist is closed.
 */
export async function typeDocument(o: TypeOptions): Promise<WireClient> {
  let seen = 0
  let pump = () => {}
  const watcher = new WireClient({
    baseUrl: o.baseUrl,
    doc: o.doc,
    dialect: o.dialect,
    onUpdate: (update) => {
      const clock = clockAfter(update, o.typist)
      if (clock > seen) {
        seen = clock
        pump()
      }
    }
  })
  const typist = new WireClient({ baseUrl: o.baseUrl, doc: o.doc, dialect: o.dialect })
  await Promise.all([watcher.opened, typist.opened])
  if (o.synced) await waitFor(() => watcher.synced && typist.synced, `clients of ${o.doc} to sync`, 30_000)
  const total = o.updates * o.charsPerUpdate
  let clock = 0
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`typing ${o.updates} updates into ${o.doc} took over ${o.timeoutMs ?? 600_000} ms`)),
      o.timeoutMs ?? 600_000
    )
    pump = () => {
      while (clock < total && clock - seen < o.window * o.charsPerUpdate) {
        typist.sendUpdate(appendUpdate(o.typist, clock, lettersAt(clock, o.charsPerUpdate)))
        clock += o.charsPerUpdate
      }
      if (seen >= total) {
        clearTimeout(timer)
        resolve()
      }
    }
    pump()
  })
  typist.close()
  return watcher
}
