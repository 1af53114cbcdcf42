/**
 * Editing traces for replay: the real ones in ../shared/traces (QUIRE_TRACES_DIR overrides the
 * folder) or, in a plain clone without them, a seeded synthetic trace, announced as such.
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

/** Where traces are read from. */
export const TRACES_DIR = process.env.QUIRE_TRACES_DIR ?? fileURLToPath(new URL('../../../../../shared/traces', import.meta.url))

/** Load a trace by file stem (`automerge-paper`); falls back to a synthetic one of `fallbackTxns`. */
export function loadTrace(name: string, fallbackTxns = 20_000): Trace {
  const file = join(TRACES_DIR, `${name}.json.gz`)
  if (existsSync(file)) {
    const data = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Omit<Trace, 'name' | 'synthetic'>
    return { name, synthetic: false, startContent: data.startContent, endContent: data.endContent, txns: data.txns }
  }
  console.warn(`[trace] ${file} not found: using a seeded synthetic trace of ${fallbackTxns} edits instead`)
  return syntheticTrace(name, fallbackTxns, 1)
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
  return { name: `${name} (synthetic)`, synthetic: true, startContent: '', endContent: content, txns: out }
}

/** Apply a trace's patches to a plain string (the reference result). */
export function applyToString(trace: Trace): string {
  let content = trace.startContent
  for (const txn of trace.txns) for (const [pos, del, ins] of txn.patches) content = content.slice(0, pos) + ins + content.slice(pos + del)
  return content
}
