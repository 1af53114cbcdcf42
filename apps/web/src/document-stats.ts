/**
 * Word and character counts for the footer. Words are runs of letters, digits and joining
 * marks in any script (Intl.Segmenter where the browser has it, so Japanese is counted by
 * word, not by line); characters are what people see, not UTF-16 units.
 */

/** The counts for `text`. */
export interface TextStats {
  words: number
  characters: number
}

const wordSegmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(undefined, { granularity: 'word' }) : undefined
const graphemeSegmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : undefined

function count(iterable: Iterable<unknown>): number {
  let n = 0
  for (const _ of iterable) n++
  return n
}

/** Count the words and characters of `text`. */
export function textStats(text: string): TextStats {
  const words = wordSegmenter
    ? count([...wordSegmenter.segment(text)].filter((segment) => segment.isWordLike))
    : (text.match(/[\p{L}\p{N}][\p{L}\p{N}\p{M}'’_-]*/gu)?.length ?? 0)
  const characters = graphemeSegmenter ? count(graphemeSegmenter.segment(text)) : [...text].length
  return { words, characters }
}

/** "1 word · 5 characters" */
export function statsLabel({ words, characters }: TextStats): string {
  const format = new Intl.NumberFormat()
  return `${format.format(words)} ${words === 1 ? 'word' : 'words'} · ${format.format(characters)} ${characters === 1 ? 'character' : 'characters'}`
}
