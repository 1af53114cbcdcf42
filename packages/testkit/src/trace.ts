/**
 * Editing traces for replay: the real ones in ../shared/traces beside the repository
 * (QUIRE_TRACES_DIR overrides the folder) or, in a plain clone without them, a seeded synthetic
 * trace, announced as such. Traces: Joseph Gentle's editing-traces, CC BY 4.0.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { rng } from './random.js'

/** One patch: at `pos`, delete `del` characters, then insert `ins`. */
export type Patch = [pos: number, del: number, ins: string]

/** A replayable editing history. */
export interface Trace {
  name: string
  synthetic: boolean
  startContent: string
  endContent: string
  txns: Array<{ patches: Patch[] }>
}

/** Where traces are read from (src/ and dist/ sit at the same depth). */
export const TRACES_DIR = process.env.QUIRE_TRACES_DIR ?? fileURLToPath(new URL('../../../../shared/traces', import.meta.url))

const cache = new Map<string, Trace>()

/** Load a trace by file stem (`automerge-paper`); without the file, a synthetic one of `fallbackTxns` edits. */
export function loadTrace(name: string, fallbackTxns = 20_000): Trace {
  const cached = cache.get(name)
  if (cached) return cached
  const file = join(TRACES_DIR, `${name}.json.gz`)
  let trace: Trace
  if (existsSync(file)) {
    const data = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Omit<Trace, 'name' | 'synthetic'>
    trace = { name, synthetic: false, startContent: data.startContent, endContent: data.endContent, txns: data.txns }
  } else {
    console.warn(`[trace] ${file} not found: using a seeded synthetic trace of ${fallbackTxns} edits instead`)
    trace = syntheticTrace(name, fallbackTxns, 1)
  }
  cache.set(name, trace)
  return trace
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

/** The text after the first `count` transactions (all by default), applied to a plain string. */
export function textAfter(trace: Trace, count = trace.txns.length): string {
  let content = trace.startContent
  for (const txn of trace.txns.slice(0, count)) for (const [pos, del, ins] of txn.patches) content = content.slice(0, pos) + ins + content.slice(pos + del)
  return content
}
