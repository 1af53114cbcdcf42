/**
 * PROTOCOL.md and the code must not drift apart: every rule ID the code cites is defined in the
 * spec, and every close code, message type, limit and extension in the code is in its table.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CloseCode, closeCodeName, DefaultLimits, Extension, MAX_DOCUMENT_NAME_LENGTH, MessageType } from '../src/index.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const spec = readFileSync(`${root}PROTOCOL.md`, 'utf8')
const RULES = ['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8', 'F9', 'F10', 'C1', 'C2', 'N1', 'N2', 'N3', 'N4', 'N5', 'L1', 'L2', 'X1']

/** The text of the section headed `### <id> — …`, up to the next heading. */
function section(id: string): string {
  const start = spec.search(new RegExp(`^### ${id} — `, 'm'))
  if (start < 0) return ''
  const rest = spec.slice(start + 4)
  const end = rest.search(/^#{2,3} /m)
  return end < 0 ? rest : rest.slice(0, end)
}

describe('PROTOCOL.md matches the code', () => {
  it('F1–X1: every rule has its own section', () => {
    for (const id of RULES) expect(section(id).length, `section ${id}`).toBeGreaterThan(100)
  })

  it('F1–X1: every rule ID cited in src/ is defined in PROTOCOL.md', () => {
    const cited = new Set<string>()
    for (const file of readdirSync(`${root}src`)) {
      const text = readFileSync(`${root}src/${file}`, 'utf8')
      for (const match of text.matchAll(/\b([FCNLX])(\d+)(?:–\1?(\d+))?\b/g)) {
        const [, letter, from, to] = match
        for (let n = Number(from); n <= Number(to ?? from); n++) cited.add(`${letter}${n}`)
      }
    }
    expect(cited.size).toBeGreaterThan(5)
    for (const id of cited) expect(RULES, `${id} is cited in src/ but not defined`).toContain(id)
  })

  it('C1: every close code in close-codes.ts is in the table with its name, once', () => {
    const table = section('C1')
    const codes = Object.entries(CloseCode)
    expect(new Set(codes.map(([, code]) => code)).size).toBe(codes.length)
    for (const [name, code] of codes) {
      const rows = table.split('\n').filter((line) => line.startsWith(`| ${code} |`))
      expect(rows, `row for ${code}`).toHaveLength(1)
      expect(rows[0]).toContain(`\`${name}\``)
    }
  })

  it("C1: closeCodeName names every code and nothing else; Quire's own codes are 44xx or 45xx", () => {
    for (const [name, code] of Object.entries(CloseCode)) {
      expect(closeCodeName(code)).toBe(name)
      if (code >= 4000) expect(Math.floor(code / 100), `${code}`).toSatisfy((group: number) => group === 44 || group === 45)
    }
    for (const unknown of [0, 999, 1002, 1006, 4000, 4404, 9999]) expect(closeCodeName(unknown)).toBeUndefined()
  })

  it('C2: every 44xx code is one the spec lists as final; every transient condition is 1001, 1011, 1013 or 45xx', () => {
    const finalBullet = section('C2').split('\n- ')[1] ?? ''
    for (const [name, code] of Object.entries(CloseCode)) {
      if (code >= 4400 && code < 4500) expect(finalBullet, `${name} (${code}) is 44xx, so C2 must list it as final`).toContain(`(${code})`)
    }
    // The conditions that pass: shutdown, errors, overload, storage, silence, a too-fast client.
    const transient = [
      CloseCode.GoingAway,
      CloseCode.InternalError,
      CloseCode.TryAgainLater,
      CloseCode.StorageFailure,
      CloseCode.DocumentDamaged,
      CloseCode.LoadFailed,
      CloseCode.IdleTimeout,
      CloseCode.RateLimited
    ]
    for (const code of transient) expect([1001, 1011, 1013].includes(code) || (code >= 4500 && code < 4600), `${closeCodeName(code)} (${code})`).toBe(true)
    expect(CloseCode.IdleTimeout).toBe(4508)
    expect(CloseCode.RateLimited).toBe(4529)
  })

  it('F1: every message type is in the table', () => {
    const table = section('F1')
    for (const code of Object.values(MessageType)) expect(table).toMatch(new RegExp(`^\\|\\s*${code}\\s*\\|`, 'm'))
  })

  it('L1/N2: the default limits and the name length in the code are the ones the spec states', () => {
    const limits = section('L1')
    expect(DefaultLimits.maxMessageBytes).toBe(16 * 1024 * 1024)
    expect(limits).toContain('16 777 216 bytes')
    expect(limits).toContain('DefaultLimits.maxMessageBytes')
    expect(limits).toContain(`${DefaultLimits.maxQueuedFramesWhileLoading} (\`DefaultLimits.maxQueuedFramesWhileLoading\`)`)
    expect(section('N2')).toContain(`1 to ${MAX_DOCUMENT_NAME_LENGTH} characters`)
  })

  it('X1: every extension is in the table', () => {
    for (const name of Object.values(Extension)) expect(section('X1')).toMatch(new RegExp(`^\\| \`${name}\`\\s*\\|`, 'm'))
  })
})
