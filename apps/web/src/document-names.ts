/**
 * Names for new documents: readable and speakable ("brave-otter-42"), so a link can be read out
 * over a call, yet varied enough (about 35,000 combinations) that two people rarely collide.
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

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T
}

/** A fresh random document name such as `brave-otter-42`. */
export function randomDocumentName(random: () => number = Math.random): string {
  return `${pick(ADJECTIVES, random)}-${pick(ANIMALS, random)}-${Math.floor(random() * 90) + 10}`
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
