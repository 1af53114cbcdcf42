/**
 * Who the local user is to other people in the document: a name and a colour, kept in the
 * browser's storage so the same person looks the same every time they come back.
 */

/** A user as collaborators see them; `colorLight` tints their selections. */
export interface User {
  name: string
  color: string
  colorLight: string
}

/** The part of `Storage` the identity needs; `localStorage` fits. */
export type IdentityStorage = Pick<Storage, 'getItem' | 'setItem'>

/** The storage key under which the local user is remembered. */
export const USER_STORAGE_KEY = 'quire:user'

// Distinct hues, all light enough for dark name labels on them; the tint colours selections.
const PALETTE: ReadonlyArray<readonly [string, string]> = [
  ['#6aa8ff', '#6aa8ff40'],
  ['#ffa53d', '#ffa53d40'],
  ['#b58cff', '#b58cff40'],
  ['#ff7eb6', '#ff7eb640'],
  ['#3fd0c9', '#3fd0c940'],
  ['#ffd84d', '#ffd84d40'],
  ['#ff7a66', '#ff7a6640'],
  ['#7bd86b', '#7bd86b40']
]

const ADJECTIVES = [
  'Brave',
  'Calm',
  'Clever',
  'Eager',
  'Gentle',
  'Happy',
  'Jolly',
  'Kind',
  'Lively',
  'Lucky',
  'Merry',
  'Nimble',
  'Proud',
  'Quick',
  'Quiet',
  'Sunny',
  'Swift',
  'Witty'
]
const ANIMALS = [
  'Badger',
  'Crane',
  'Dolphin',
  'Falcon',
  'Fox',
  'Heron',
  'Koala',
  'Lynx',
  'Marten',
  'Otter',
  'Owl',
  'Panda',
  'Puffin',
  'Raven',
  'Seal',
  'Tiger',
  'Walrus',
  'Wren'
]

function pick<T>(items: ReadonlyArray<T>, random: () => number): T {
  return items[Math.floor(random() * items.length)] as T
}

/** A fresh user with a friendly random name and a palette colour. */
export function randomUser(random: () => number = Math.random): User {
  const [color, colorLight] = pick(PALETTE, random)
  return { name: `${pick(ADJECTIVES, random)} ${pick(ANIMALS, random)}`, color, colorLight }
}

function isUser(value: unknown): value is User {
  if (typeof value !== 'object' || value === null) return false
  const { name, color, colorLight } = value as Record<string, unknown>
  return typeof name === 'string' && name.trim() !== '' && typeof color === 'string' && typeof colorLight === 'string'
}

/**
 * The user remembered in `storage`, or a new random one that is then remembered. Storage that
 * throws (private mode, blocked cookies) only costs persistence, never the editor.
 */
export function rememberedUser(storage: IdentityStorage | undefined, random: () => number = Math.random): User {
  try {
    const stored: unknown = JSON.parse(storage?.getItem(USER_STORAGE_KEY) ?? 'null')
    if (isUser(stored)) return { name: stored.name, color: stored.color, colorLight: stored.colorLight }
  } catch {
    // Unreadable or corrupt: fall through to a new identity.
  }
  const user = randomUser(random)
  rememberUser(storage, user)
  return user
}

/** Remember `user` as this browser's identity. */
export function rememberUser(storage: IdentityStorage | undefined, user: User): void {
  try {
    storage?.setItem(USER_STORAGE_KEY, JSON.stringify(user))
  } catch {
    // Persistence is best effort.
  }
}
