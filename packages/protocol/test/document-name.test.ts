/**
 * Document names (PROTOCOL.md N1–N5): one string is one document everywhere. N5 (HTTP 400 before
 * the upgrade) is the server's part and is tested in packages/sync-server/test/http.test.ts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkDocumentName, documentPath, MAX_DOCUMENT_NAME_LENGTH, parseDocumentPath } from '../src/index.js'

const SEED = 4242

const ALLOWED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-'
const segmentArb = fc.string({ unit: fc.constantFrom(...ALLOWED), minLength: 1, maxLength: 12 }).filter((segment) => segment !== '.' && segment !== '..')
/** Valid names: 1–6 segments of allowed characters, at most 256 characters in all. */
const nameArb = fc
  .array(segmentArb, { minLength: 1, maxLength: 6 })
  .map((segments) => segments.join('/'))
  .filter((name) => name.length <= MAX_DOCUMENT_NAME_LENGTH)

const ok = (name: string) => ({ ok: true, name })

function expectRefused(path: string, reason?: RegExp): void {
  const result = parseDocumentPath(path)
  expect(result.ok, `${JSON.stringify(path)} should be refused`).toBe(false)
  if (reason && !result.ok) expect(result.reason).toMatch(reason)
}

/** Percent-encode the characters of `name` chosen by `pick`, in upper or lower case hex. */
function percentEncode(name: string, pick: boolean[], lower: boolean[]): string {
  return [...name]
    .map((char, i) => {
      if (char === '/' || !pick[i % pick.length]) return char
      const hex = char.charCodeAt(0).toString(16).padStart(2, '0')
      return `%${lower[i % lower.length] ? hex.toLowerCase() : hex.toUpperCase()}`
    })
    .join('')
}

describe('valid and invalid names', () => {
  it('N3: accepts names of letters, digits, "_", "~", ".", "-" in "/"-separated segments', () => {
    for (const name of ['a', 'notes', 'Team-Notes_2024', 'a/b/c', 'x~y', '.hidden', 'a..b', '...', 'v1.2.3', '0', 'A/B.c/-_~']) {
      expect(parseDocumentPath(`/${name}`), name).toEqual(ok(name))
      expect(checkDocumentName(name), name).toEqual(ok(name))
    }
  })

  it('N3: refuses characters outside the set, including ":" (storage keys use it as a separator)', () => {
    for (const name of ['a:b', ':', 'a b', 'é', 'a%b', 'a+b', 'a\\b', 'a?b', 'a#b', 'a*b', "a'b", 'a@b', 'a\u0000b', '日本']) {
      const result = checkDocumentName(name)
      expect(result.ok, JSON.stringify(name)).toBe(false)
    }
    expectRefused('/a:b', /may only contain/)
    expectRefused('/a%3Ab', /may only contain/)
    expectRefused('/a%3ab', /may only contain/)
  })

  it('N3: refuses "." and ".." segments however they are spelled', () => {
    for (const path of ['/..', '/.', '/a/..', '/../a', '/a/./b', '/a/../b', '/%2e%2e', '/%2E%2E', '/%2e', '/a/%2e%2E/b', '/.%2e']) {
      expectRefused(path, /"\." or "\.\." segment/)
    }
  })

  it('N3: refuses empty segments: trailing, leading and double slashes, and the empty name', () => {
    expectRefused('/a/', /empty path segment/)
    expectRefused('//a', /empty path segment/)
    expectRefused('/a//b', /empty path segment/)
    expectRefused('/', /empty/)
    expect(checkDocumentName('')).toEqual({ ok: false, reason: 'document name is empty' })
  })

  it('N1: a path that does not start with "/" is refused', () => {
    expectRefused('a', /must start with/)
    expectRefused('', /must start with/)
  })
})

describe('percent-decoding', () => {
  it('N1: percent-decodes exactly once', () => {
    expect(parseDocumentPath('/%61')).toEqual(ok('a'))
    expect(parseDocumentPath('/notes%2Dtoday')).toEqual(ok('notes-today'))
    // %2561 decodes once to "%61", and "%" is not allowed: no second decoding.
    expectRefused('/%2561', /may only contain/)
  })

  it('N1: invalid percent-encoding is refused, not passed through', () => {
    for (const path of ['/%', '/a%', '/%zz', '/%4', '/%C3', '/%FF', '/%C3%28']) expectRefused(path, /invalid percent-encoding/)
  })

  it('N1: every percent-encoded spelling of a name maps to that one name (property)', () => {
    fc.assert(
      fc.property(nameArb, fc.array(fc.boolean(), { minLength: 1 }), fc.array(fc.boolean(), { minLength: 1 }), (name, pick, lower) => {
        expect(parseDocumentPath(`/${percentEncode(name, pick, lower)}`)).toEqual(ok(name))
      }),
      { seed: SEED, numRuns: 500 }
    )
  })
})

describe('encoded slashes and the one spelling', () => {
  it('N4: refuses an encoded slash in either case, even where a plain one would be fine', () => {
    expectRefused('/a%2Fb', /encoded "\/"/)
    expectRefused('/a%2fb', /encoded "\/"/)
    expectRefused('/%2F', /encoded "\/"/)
    expect(parseDocumentPath('/a/b')).toEqual(ok('a/b'))
  })

  it('N4: refuses %2F even when the name would otherwise be valid (property)', () => {
    fc.assert(
      fc.property(
        nameArb.filter((name) => name.includes('/')),
        fc.boolean(),
        (name, lower) => {
          expectRefused(`/${name.replaceAll('/', lower ? '%2f' : '%2F')}`, /encoded/)
        }
      ),
      { seed: SEED, numRuns: 200 }
    )
  })

  it('N4: documentPath is the canonical spelling: "/" + the name itself for every valid name', () => {
    expect(documentPath('notes/today')).toBe('/notes/today')
    expect(documentPath('a~b.c_d-e')).toBe('/a~b.c_d-e')
  })

  it('N1/N4: documentPath ∘ parseDocumentPath round-trips every valid name (property)', () => {
    fc.assert(
      fc.property(nameArb, (name) => {
        const path = documentPath(name)
        expect(path).toBe(`/${name}`)
        expect(parseDocumentPath(path)).toEqual(ok(name))
      }),
      { seed: SEED, numRuns: 500 }
    )
  })

  it('N1–N4: whatever string is parsed, an accepted name is valid and its canonical path parses to itself (property)', () => {
    const pathArb = fc.oneof(
      fc.string({ unit: fc.constantFrom(...ALLOWED, '/', '%', '2', 'F', 'f', 'e', ':', ' ', 'é'), maxLength: 30 }).map((s) => `/${s}`),
      fc.string({ unit: 'binary', maxLength: 30 })
    )
    fc.assert(
      fc.property(pathArb, (path) => {
        const result = parseDocumentPath(path)
        if (!result.ok) return
        expect(checkDocumentName(result.name)).toEqual(result)
        expect(parseDocumentPath(documentPath(result.name))).toEqual(result)
        expect(result.name.split('/').length).toBe(path.slice(1).split('/').length)
      }),
      { seed: SEED, numRuns: 2000 }
    )
  })
})

describe('length', () => {
  it('N2: 256 characters is the longest name; 257 is refused', () => {
    expect(MAX_DOCUMENT_NAME_LENGTH).toBe(256)
    const longest = 'a'.repeat(256)
    expect(parseDocumentPath(`/${longest}`)).toEqual(ok(longest))
    expectRefused(`/${'a'.repeat(257)}`, /longer than 256/)
    const withSlashes = `${'abc/'.repeat(63)}abcd`
    expect(withSlashes.length).toBe(256)
    expect(parseDocumentPath(`/${withSlashes}`)).toEqual(ok(withSlashes))
    expectRefused(`/${withSlashes}b`, /longer than 256/)
  })

  it('N2: the length is counted after decoding, on the name, not on the path', () => {
    const encoded = '%61'.repeat(256)
    expect(parseDocumentPath(`/${encoded}`)).toEqual(ok('a'.repeat(256)))
    expectRefused(`/${'%61'.repeat(257)}`, /longer than 256/)
  })
})
