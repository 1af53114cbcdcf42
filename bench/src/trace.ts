/**
 * Editing traces: the real ones in ../shared/traces (QUIRE_TRACES_DIR overrides the folder) or,
 * in a plain clone without them, a seeded synthetic trace, announced as such.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

/** One patch: at `pos`, delete `del` characters, then insert `ins`. */
export type Patch = [pos: number, del: number, ins: string]

export interface Trace {
  name: string
  synthetic: boolean
  startContent: string
  endContent: string
  txns: Array<{ patches: Patch[] }>
}

/** bench/dist/trace.js → <repo>/../shared/traces */
export const TRACES_DIR = process.env.QUIRE_TRACES_DIR ?? fileURLToPath(new URL('../../../shared/traces', import.meta.url))

const cache = new Map<string, Trace>()

/** Load a trace by file stem, or a seeded synthetic one of `fallbackTxns` edits when it is missing. */
export function loadTrace(name: string, fallbackTxns: number): Trace {
  const cached = cache.get(name)
  if (cached) return cached
  const file = join(TRACES_DIR, `${name}.json.gz`)
  let trace: Trace
  if (existsSync(file)) {
    const data = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Omit<Trace, 'name' | 'synthetic'>
    trace = { name, synthetic: false, startContent: data.startContent, endContent: data.endContent, txns: data.txns }
  } else {
    trace = syntheticTrace(name, fallbackTxns, 1)
  }
  cache.set(name, trace)
  return trace
}

/** mulberry32: a seeded generator of floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A seeded typing-like trace: mostly inserts near a moving cursor, some deletions. */
export function syntheticTrace(name: string, txns: number, seed: number): Trace {
  const random = rng(seed)
  let content = ''
  let cursor = 0
  const out: Trace['txns'] = []
  for (let i = 0; i < txns; i++) {
    if (random() < 0.05) cursor = Math.floor(random() * (content.length + 1))
    let patch: Patch
    if (random() < 0.15 && cursor > 0) {
      const del = Math.min(cursor, 1 + Math.floor(random() * 3))
      patch = [cursor - del, del, '']
      cursor -= del
    } else {
      const ins = 'abcdefghijklmnopqrstuvwxyz \n'[Math.floor(random() * 28)]!
      patch = [cursor, 0, ins]
      cursor += 1
    }
    content = content.slice(0, patch[0]) + patch[2] + content.slice(patch[0] + patch[1])
    out.push({ patches: [patch] })
  }
  return { name: `${name} (synthetic, seed ${seed})`, synthetic: true, startContent: '', endContent: content, txns: out }
}

/** The text after the first `count` transactions, applied to a plain string. */
export function textAfter(trace: Trace, count: number): string {
  let content = trace.startContent
  const end = Math.min(count, trace.txns.length)
  for (let i = 0; i < end; i++) for (const [pos, del, ins] of trace.txns[i]!.patches) content = content.slice(0, pos) + ins + content.slice(pos + del)
  return content
}
