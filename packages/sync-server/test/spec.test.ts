/**
 * Every promise has a test: each rule ID in SPEC.md (the server's promises) and PROTOCOL.md (the
 * wire rules) is cited by at least one test title in the repository, and no test title cites an
 * ID that neither page defines.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repo = fileURLToPath(new URL('../../../', import.meta.url))
const TEST_DIRS = ['packages/protocol/test', 'packages/sync-server/test', 'packages/editor/test', 'apps/web/test']

/** The IDs a page defines, from its `### ID — title` headings. */
function definedIds(path: string): string[] {
  const text = readFileSync(join(repo, path), 'utf8')
  return [...text.matchAll(/^### ([A-Z]{1,2}\d+) — /gm)].map((match) => match[1]!)
}

/** Every test title (first argument of it/test/describe, .each included) in a file. */
function titles(source: string): string[] {
  const found: string[] = []
  const call = /\b(?:it|test|describe)(?:\.(?:each|skip|only|fails|concurrent|sequential)(?:\([^)]*\))?)*\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g
  for (const match of source.matchAll(call)) found.push(match[2]!)
  return found
}

/** The IDs a title cites: `F7/C1: …`, `DV1: …`, ranges like `F1–F9`. */
function citedIds(title: string): string[] {
  const ids: string[] = []
  for (const match of title.matchAll(/\b([A-Z]{1,2})(\d+)(?:–\1?(\d+))?\b/g)) {
    const [, letters, from, to] = match
    for (let n = Number(from); n <= Number(to ?? from); n++) ids.push(`${letters}${n}`)
  }
  return ids
}

function testFiles(dir: string): string[] {
  const root = join(repo, dir)
  let entries: string[]
  try {
    entries = readdirSync(root, { recursive: true }) as string[]
  } catch {
    return []
  }
  return entries.filter((file) => file.endsWith('.test.ts')).map((file) => join(root, file))
}

const specIds = definedIds('packages/sync-server/SPEC.md')
const protocolIds = definedIds('packages/protocol/PROTOCOL.md')
const cited = new Map<string, string[]>()
for (const dir of TEST_DIRS) {
  for (const file of testFiles(dir)) {
    for (const title of titles(readFileSync(file, 'utf8'))) {
      for (const id of citedIds(title)) cited.set(id, [...(cited.get(id) ?? []), `${file.slice(repo.length)}: ${title}`])
    }
  }
}

describe('rule IDs and their tests', () => {
  it('both pages define rule IDs, and none twice', () => {
    expect(specIds.length).toBeGreaterThan(20)
    expect(protocolIds.length).toBeGreaterThan(10)
    const all = [...specIds, ...protocolIds]
    expect(new Set(all).size).toBe(all.length)
  })

  it.each([...specIds, ...protocolIds])('%s is cited by at least one test title', (id) => {
    expect(cited.get(id) ?? [], `no test title cites ${id}; prefix the test that proves it with "${id}: "`).not.toHaveLength(0)
  })

  it('no test title cites an ID that SPEC.md or PROTOCOL.md does not define', () => {
    const known = new Set([...specIds, ...protocolIds])
    // Rule-like words in titles that are not rule IDs: benchmark workloads and HTTP-ish names.
    const shape = /^(?:[FCNLX]|DV|LS|DM|CM|SC|HI|AC|LM|CV|OP)\d+$/
    const unknown = [...cited.entries()].filter(([id]) => shape.test(id) && !known.has(id)).map(([id, where]) => `${id} in ${where[0]}`)
    expect(unknown).toEqual([])
  })
})
