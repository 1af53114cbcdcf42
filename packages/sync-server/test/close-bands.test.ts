/**
 * PROTOCOL.md rule C2 against the server's own source: every close code the server sends is
 * named in close-codes.ts, and only conditions that retrying cannot help use the 44xx band, on
 * which y-websocket 3.x stops reconnecting for good. Everything transient is 1001, 1011, 1013
 * or 45xx.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CloseCode } from '@quire/protocol'
import { describe, expect, it } from 'vitest'
import { serveFlags } from '../src/cli/flags.js'

const SRC = fileURLToPath(new URL('../src', import.meta.url))

/** The codes for which retrying the same thing cannot help (C2's first bullet, plus RFC 6455's 1008 and 1009). */
const FINAL = new Set<keyof typeof CloseCode>([
  'MalformedMessage',
  'Unauthorized',
  'Forbidden',
  'AwarenessTooLarge',
  'InvalidUpdate',
  'DocumentDeleted',
  'MessageTooBig',
  'PolicyViolation'
])

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []
  )
}

const transient = (code: number) => code === 1001 || code === 1011 || code === 1013 || (code >= 4500 && code < 4600)

describe('close code bands (PROTOCOL.md C2)', () => {
  it('C2: every close code the server source uses is in close-codes.ts and in the right band', () => {
    const used = new Set<string>()
    for (const file of sources(SRC)) for (const match of readFileSync(file, 'utf8').matchAll(/CloseCode\.(\w+)/g)) used.add(match[1]!)
    expect(used.size).toBeGreaterThan(5)
    for (const name of used) {
      const code = CloseCode[name as keyof typeof CloseCode]
      expect(code, `CloseCode.${name} exists`).toBeDefined()
      if (FINAL.has(name as keyof typeof CloseCode)) {
        expect((code >= 4400 && code < 4500) || code === 1008 || code === 1009, `${name} (${code}) is final`).toBe(true)
      } else {
        expect(transient(code), `${name} (${code}) is transient, so never 44xx`).toBe(true)
      }
    }
  })

  it('C2: no transient condition has a 44xx code, and the close codes the flags name exist', () => {
    for (const [name, code] of Object.entries(CloseCode)) {
      if (code >= 4400 && code < 4500) expect(FINAL.has(name as keyof typeof CloseCode), `${name} (${code}) in 44xx must be final`).toBe(true)
    }
    const known = new Set<number>(Object.values(CloseCode))
    for (const spec of serveFlags) {
      for (const match of spec.help.matchAll(/\b(1\d{3}|4\d{3})\b/g)) expect(known, `--${spec.flag} names ${match[1]}`).toContain(Number(match[1]))
    }
  })
})
