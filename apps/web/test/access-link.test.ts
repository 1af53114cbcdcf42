import { describe, expect, it } from 'vitest'
import { shareUrl, type TokenStorage, takeToken, tokenKey, tokenUser } from '../src/access-link.js'

function memoryStorage(): TokenStorage & { items: Map<string, string> } {
  const items = new Map<string, string>()
  return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value), removeItem: (key) => void items.delete(key) }
}

// A JWT-shaped token with `payload` (the signature does not matter to the app).
const jwt = (payload: object): string => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`

describe('access links', () => {
  it('takes the token out of the address and remembers it per document', () => {
    const storage = memoryStorage()
    const taken = takeToken('team/notes', new URL('https://q.example/d/team/notes?token=abc.def&x=1#top'), storage)
    expect(taken).toEqual({ token: 'abc.def', clean: '/d/team/notes?x=1#top' })
    expect(storage.items.get(tokenKey('team/notes'))).toBe('abc.def')
    // A reload: the address has no token any more.
    expect(takeToken('team/notes', new URL('https://q.example/d/team/notes'), storage)).toEqual({ token: 'abc.def', clean: undefined })
    expect(takeToken('other', new URL('https://q.example/d/other'), storage).token).toBeUndefined()
  })

  it('forgets the token on an empty ?token=, and survives storage that throws', () => {
    const storage = memoryStorage()
    takeToken('d', new URL('https://q.example/d/d?token=t'), storage)
    expect(takeToken('d', new URL('https://q.example/d/d?token='), storage)).toEqual({ token: undefined, clean: '/d/d' })
    expect(storage.items.size).toBe(0)
    const broken: TokenStorage = {
      getItem: () => {
        throw new Error('denied')
      },
      setItem: () => {
        throw new Error('denied')
      },
      removeItem: () => {}
    }
    expect(takeToken('d', new URL('https://q.example/d/d?token=t'), broken).token).toBe('t')
    expect(takeToken('d', new URL('https://q.example/d/d'), broken).token).toBeUndefined()
  })

  it('shares the document link with the same token', () => {
    expect(shareUrl('https://q.example', 'team/notes', undefined)).toBe('https://q.example/d/team/notes')
    expect(shareUrl('https://q.example', 'team/notes', 'a.b-c_d')).toBe('https://q.example/d/team/notes?token=a.b-c_d')
  })

  it('reads the user a token names, if any', () => {
    expect(tokenUser(jwt({ doc: 'x', access: 'write', user: 'Zoë Ünicode' }))).toBe('Zoë Ünicode')
    expect(tokenUser(jwt({ doc: 'x', access: 'write' }))).toBeUndefined()
    expect(tokenUser('not a jwt')).toBeUndefined()
    expect(tokenUser('a.%%%.c')).toBeUndefined()
    expect(tokenUser(undefined)).toBeUndefined()
  })
})
