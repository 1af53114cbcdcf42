/**
 * Who wrote what, drawn over a read-only text: each stretch underlined in its author's colour,
 * with the author's name as a small label where a new author's stretch begins (so it does not rely
 * on colour) and the name and time on hover. Unverified names (presence names, not vouched for
 * by a token) say so.
 */
import { type Extension, RangeSetBuilder } from '@codemirror/state'
import { Decoration, type DecorationSet, EditorView, WidgetType } from '@codemirror/view'
import type { Author, AuthorSpan } from './history-client.js'

/** How an author is named to people: unverified names are marked as such. */
export function authorLabel(author: Author): string {
  return author.verified ? author.name : `${author.name} (unverified)`
}

/** A colour for `author`: theirs when the server knows it, else one derived from the name. */
export function authorColor(author: Author): string {
  if (author.color !== null && /^#[0-9a-f]{3,8}$|^[a-z]+$|^(rgb|hsl)a?\([\d\s.,%/deg]+\)$/i.test(author.color)) return author.color
  let hash = 0
  for (const char of author.name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0
  return `hsl(${hash % 360} 65% 50%)`
}

/** What hovering a stretch says: "Ada · 29 Nov 2026, 14:02". */
export function spanTitle(span: AuthorSpan, locale?: string): string {
  const time = new Date(span.time).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' })
  return `${authorLabel(span.author)} · ${time}`
}

class AuthorName extends WidgetType {
  constructor(readonly author: Author) {
    super()
  }

  override eq(other: AuthorName): boolean {
    return authorLabel(other.author) === authorLabel(this.author) && authorColor(other.author) === authorColor(this.author)
  }

  toDOM(): HTMLElement {
    const label = document.createElement('span')
    label.className = 'cm-authorName'
    label.textContent = authorLabel(this.author)
    label.style.setProperty('--author-color', authorColor(this.author))
    return label
  }
}

const authorshipTheme = EditorView.theme({
  '.cm-authored': {
    textDecoration: 'underline 2px var(--author-color)',
    textUnderlineOffset: '4px',
    background: 'color-mix(in srgb, var(--author-color) 10%, transparent)'
  },
  '.cm-authorName': {
    fontFamily: 'system-ui, sans-serif',
    fontSize: '11px',
    lineHeight: '1',
    padding: '1px 4px',
    margin: '0 3px',
    borderRadius: '3px',
    border: '1px solid var(--author-color)',
    color: 'inherit',
    verticalAlign: '2px',
    whiteSpace: 'nowrap'
  }
})

/** Decorations for `spans` (clipped to a text of `length` characters, in order). */
export function authorshipDecorations(spans: readonly AuthorSpan[], length: number, locale?: string): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>()
  let at = 0
  let previous: string | undefined
  for (const span of [...spans].sort((a, b) => a.from - b.from)) {
    const from = Math.max(at, Math.min(span.from, length))
    const to = Math.min(span.to, length)
    if (to <= from) continue
    const who = authorLabel(span.author)
    if (who !== previous) builder.add(from, from, Decoration.widget({ widget: new AuthorName(span.author), side: -1 }))
    builder.add(
      from,
      to,
      Decoration.mark({
        class: 'cm-authored',
        attributes: { title: spanTitle(span, locale), 'data-author': who, style: `--author-color: ${authorColor(span.author)}` }
      })
    )
    previous = who
    at = to
  }
  return builder.finish()
}

/** A read-only editor extension marking each stretch of its text with who wrote it. */
export function authorshipMarks(spans: readonly AuthorSpan[], locale?: string): Extension {
  return [EditorView.decorations.compute([], (state) => authorshipDecorations(spans, state.doc.length, locale)), authorshipTheme]
}
