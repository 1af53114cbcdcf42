import { describe, expect, it } from 'vitest'
import { type IdentityStorage, randomUser, rememberedUser, rememberUser, USER_STORAGE_KEY } from '../src/identity.js'

function memoryStorage(): IdentityStorage & { items: Map<string, string> } {
  const items = new Map<string, string>()
  return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) }
}

describe('identity', () => {
  it('makes a named, coloured user', () => {
    const user = randomUser(() => 0)
    expect(user.name).toMatch(/^\w+ \w+$/)
    expect(user.color).toMatch(/^#[0-9a-f]{6}$/)
  })

  it('remembers the first user and returns it afterwards', () => {
    const storage = memoryStorage()
    const first = rememberedUser(storage)
    expect(rememberedUser(storage)).toEqual(first)
    rememberUser(storage, { ...first, name: 'Ada' })
    expect(rememberedUser(storage).name).toBe('Ada')
  })

  it('replaces corrupt entries and survives storage that throws', () => {
    const storage = memoryStorage()
    storage.items.set(USER_STORAGE_KEY, '{"name": 42')
    expect(rememberedUser(storage).name).toMatch(/ /)
    const broken: IdentityStorage = {
      getItem: () => {
        throw new Error('denied')
      },
      setItem: () => {
        throw new Error('denied')
      }
    }
    expect(rememberedUser(broken).name).toMatch(/ /)
    expect(rememberedUser(undefined).name).toMatch(/ /)
  })
})
