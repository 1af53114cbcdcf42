/**
 * The Markdown language of the editor and the preview: GFM as `@codemirror/lang-markdown`
 * defines it, with one change so typing stays fast in any text. Lines joined by single line
 * breaks are one paragraph to Markdown, and a paragraph's inline syntax is parsed in one
 * uninterruptible step, again on every keystroke inside it: in a 200 KB paragraph each keystroke
 * took hundreds of milliseconds. Here a paragraph ends at the first line break after
 * {@link PARAGRAPH_LIMIT} characters, so the parser redoes at most that much per keystroke.
 * The only cost is that emphasis or a link spanning such a break is not highlighted across it.
 */
import { markdownLanguage as gfm } from '@codemirror/lang-markdown'
import { Language } from '@codemirror/language'

/** Characters after which a paragraph ends at its next line break. */
export const PARAGRAPH_LIMIT = 2_000

// The slice of @lezer/markdown's extension API used here (the package is not a direct
// dependency, so its types are not importable).
interface MarkdownExtension {
  parseBlock: Array<{ name: string; endLeaf: (context: unknown, line: unknown, leaf: { content: string }) => boolean }>
}
type ConfigurableParser = Language['parser'] & { configure(extension: MarkdownExtension): Language['parser'] }

const splitHugeParagraphs: MarkdownExtension = {
  parseBlock: [{ name: 'SplitHugeParagraph', endLeaf: (_context, _line, leaf) => leaf.content.length >= PARAGRAPH_LIMIT }]
}

/**
 * GFM Markdown with huge paragraphs split. It shares lang-markdown's language data, so its
 * keymap (list continuation, markup deletion) treats it as Markdown.
 */
export const markdownLanguage = new Language(gfm.data, (gfm.parser as ConfigurableParser).configure(splitHugeParagraphs), [], 'markdown')
