import { describe, expect, it } from 'vitest'
import { checkTypedName, documentFromPath, documentHref, randomDocumentName } from '../src/document-names.js'

describe('document names in the app', () => {
  it('makes readable, valid random names', () => {
    for (let i = 0; i < 200; i++) {
      const name = randomDocumentName()
      expect(name).toMatch(/^[a-z]+-[a-z]+-\d\d$/)
      expect(checkTypedName(name)).toEqual({ ok: true, name })
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
