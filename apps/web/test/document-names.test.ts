import { describe, expect, it } from 'vitest'
import { checkTypedName, documentFromPath, documentHref, RANDOM_BITS, randomDocumentName, suggestName } from '../src/document-names.js'

describe('document names in the app', () => {
  it('makes readable, valid random names', () => {
    for (let i = 0; i < 200; i++) {
      const name = randomDocumentName()
      expect(name).toMatch(/^[a-z]+-[a-z]+-[0-9a-hjkmnp-tv-z]{11}$/)
      expect(checkTypedName(name)).toEqual({ ok: true, name })
    }
  })

  it('makes names nobody can guess: at least 64 random bits, from the crypto source', () => {
    expect(RANDOM_BITS).toBeGreaterThanOrEqual(64)
    const names = new Set(Array.from({ length: 10_000 }, () => randomDocumentName()))
    expect(names.size).toBe(10_000)
    // Every random value goes into the name: a different value, a different name.
    const fixed = (value: number) => (values: Uint32Array) => values.fill(value)
    expect(randomDocumentName(fixed(0))).toBe('amber-badger-00000000000')
    expect(randomDocumentName(fixed(31))).not.toBe(randomDocumentName(fixed(30)))
    expect(randomDocumentName(fixed(31))).toBe('bold-bison-zzzzzzzzzzz')
  })

  it('offers a valid name for names the rule refuses', () => {
    const fixed = (values: Uint32Array) => values.fill(0)
    expect(suggestName('my notes')).toBe('my-notes')
    expect(suggestName('Café crème')).toBe('cafe-creme')
    expect(suggestName('Straße/Ærø  plan ')).toBe('strasse/aero-plan')
    expect(suggestName('team / our notes?')).toBe('team/our-notes')
    expect(suggestName('日本語メモ', fixed)).toBe('note-00000000')
    expect(suggestName('日本語メモ 2026', fixed)).toBe('2026')
    expect(suggestName('..', fixed)).toBe('note-00000000')
    expect(suggestName('   ')).toBeUndefined()
    for (const typed of ['my notes', 'café', '日本語メモ', 'a//b', '  /x y/  ', 'ÀÉÎÕÜ ñ', `${'é'.repeat(300)}`]) {
      const name = suggestName(typed)
      expect(name === undefined ? 'none' : checkTypedName(name), typed).toEqual({ ok: true, name })
    }
  })

  it('maps /d/ paths to names and back', () => {
    expect(documentFromPath('/d/team/notes')).toEqual({ ok: true, name: 'team/notes' })
    expect(documentHref('team/notes')).toBe('/d/team/notes')
    expect(documentFromPath('/')).toBeUndefined()
    expect(documentFromPath('/dx')).toBeUndefined()
  })

  it('explains bad names in the address', () => {
    for (const path of ['/d', '/d/', '/d/a//b', '/d/bad%20name', '/d/a%2Fb', '/d/..']) {
      const result = documentFromPath(path)
      expect(result?.ok, path).toBe(false)
      expect(result?.ok === false && result.reason.length > 10).toBe(true)
    }
  })

  it('forgives spaces and slashes around a typed name', () => {
    expect(checkTypedName('  /team/notes/ ')).toEqual({ ok: true, name: 'team/notes' })
    expect(checkTypedName('our notes?').ok).toBe(false)
  })
})
