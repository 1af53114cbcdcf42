/**
 * Names for documents. New ones are readable ("brave-otter-") yet unguessable: on an open
 * server the address is the only key, and nothing checks whether a name is taken, so a name
 * carries {@link RANDOM_BITS} bits of randomness from `crypto.getRandomValues`. Names people
 * type are checked against the server's rule (N1–N5 in PROTOCOL.md), and a name the rule refuses
 * ("my notes", "café", "日本語メモ") gets a valid one offered in its place.
 */
import { checkDocumentName, type DocumentNameResult, documentPath, parseDocumentPath } from '@quire/protocol'

const ADJECTIVES = [
  'amber',
  'bold',
  'brave',
  'bright',
  'calm',
  'clever',
  'cosy',
  'eager',
  'fancy',
  'gentle',
  'glad',
  'golden',
  'happy',
  'jolly',
  'kind',
  'lively',
  'lucky',
  'merry',
  'mighty',
  'nimble',
  'proud',
  'quick',
  'quiet',
  'rapid',
  'shiny',
  'silver',
  'sunny',
  'swift',
  'tidy',
  'witty'
]
const ANIMALS = [
  'badger',
  'bison',
  'crane',
  'dolphin',
  'eagle',
  'falcon',
  'ferret',
  'fox',
  'gecko',
  'heron',
  'ibis',
  'koala',
  'lemur',
  'lynx',
  'marten',
  'moose',
  'newt',
  'otter',
  'owl',
  'panda',
  'puffin',
  'quail',
  'raven',
  'robin',
  'seal',
  'stoat',
  'tiger',
  'walrus',
  'wombat',
  'wren'
]

// Crockford's base32 alphabet in lower case: no i, l, o or u, so a name read aloud or copied
// by hand has no look-alikes.
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz'
/** The random characters at the end of a new name: 11 × 5 = 55 bits. */
const SUFFIX_LENGTH = 11

/** Random bits in a new name: the two words (30 × 30 choices) and the suffix, about 64.8. */
export const RANDOM_BITS = Math.log2(ADJECTIVES.length * ANIMALS.length) + SUFFIX_LENGTH * 5

/** Fills an array with random 32-bit values; `crypto.getRandomValues` unless a test passes its own. */
export type RandomSource = (values: Uint32Array) => Uint32Array

const cryptoRandom: RandomSource = (values) => crypto.getRandomValues(values)

// Uniform: each list length divides 2^32 closely enough that the bias (< 1e-8) does not matter.
function randomIndexes(count: number, random: RandomSource): number[] {
  return [...random(new Uint32Array(count))]
}

function randomSuffix(length: number, random: RandomSource): string {
  return randomIndexes(length, random)
    .map((n) => BASE32[n % 32])
    .join('')
}

/** A fresh, unguessable document name such as `brave-otter-7kq2m9xa3bd`. */
export function randomDocumentName(random: RandomSource = cryptoRandom): string {
  const [adjective = 0, animal = 0] = randomIndexes(2, random)
  return `${ADJECTIVES[adjective % ADJECTIVES.length]}-${ANIMALS[animal % ANIMALS.length]}-${randomSuffix(SUFFIX_LENGTH, random)}`
}

// Letters NFKD does not take apart into a base letter and accents.
const LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', đ: 'd', Đ: 'D', ł: 'l', Ł: 'L', þ: 'th', Þ: 'Th' }

function slugSegment(segment: string): string {
  return segment
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^ -~]/g, (c) => LETTERS[c] ?? '-')
    .replace(/[^A-Za-z0-9_~.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()
}

/**
 * A valid name for what a person typed when the rule refuses it: accents dropped ("café" →
 * `cafe`), spaces and other characters turned into `-` ("my notes" → `my-notes`), lower case,
 * folders kept. A segment with nothing left (all CJK, say) becomes `note-` and random
 * characters. `undefined` when nothing usable was typed.
 */
export function suggestName(typed: string, random: RandomSource = cryptoRandom): string | undefined {
  const segments = typed
    .trim()
    .split('/')
    .filter((segment) => segment.trim() !== '')
  if (segments.length === 0) return undefined
  const slug = segments
    .map((segment) => {
      const s = slugSegment(segment)
      return s === '' || s === '.' || s === '..' ? `note-${randomSuffix(8, random)}` : s
    })
    .join('/')
    .slice(0, 200)
    .replace(/[/-]+$/, '')
  const checked = checkDocumentName(slug)
  return checked.ok ? checked.name : undefined
}

/** The app's URL path for a document. */
export function documentHref(name: string): string {
  return `/d${documentPath(name)}`
}

/** The document a `/d/…` path names, or why it names none. `undefined` for other paths. */
export function documentFromPath(pathname: string): DocumentNameResult | undefined {
  if (pathname !== '/d' && !pathname.startsWith('/d/')) return undefined
  return parseDocumentPath(pathname.slice(2) || '/')
}

/** Check a name typed by a person; surrounding spaces and slashes are forgiven. */
export function checkTypedName(typed: string): DocumentNameResult {
  return checkDocumentName(typed.trim().replace(/^\/+|\/+$/g, ''))
}
