/**
 * What the document page's editor can do beyond collaboration: line numbers, Markdown, search,
 * bracket matching and wrapping. No `history()`: undo comes from the collaborative extension,
 * so it only undoes the local user's edits.
 */
import { defaultKeymap, indentWithTab } from '@codemirror/commands'
import { markdownKeymap } from '@codemirror/lang-markdown'
import { bracketMatching, indentOnInput, LanguageSupport } from '@codemirror/language'
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search'
import { EditorState, type Extension, Prec } from '@codemirror/state'
import {
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  placeholder,
  rectangularSelection
} from '@codemirror/view'
import { listMarkDeduplication } from './list-continuation.js'
import { markdownLanguage } from './markdown-language.js'

/** The document page's editing features. */
export function editorSetup(): Extension {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    rectangularSelection(),
    indentOnInput(),
    bracketMatching(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    search({ top: true }),
    EditorView.lineWrapping,
    // GFM Markdown without `markdown()`'s embedded-HTML support, which would pull in the HTML,
    // CSS and JavaScript parsers and double the app's size for a rarely used nicety; huge
    // paragraphs are split so typing stays fast (markdown-language.ts).
    new LanguageSupport(markdownLanguage),
    Prec.high(keymap.of(markdownKeymap)),
    // Enter continues a list; a mark typed by hand on the new item is not doubled.
    listMarkDeduplication(),
    placeholder('Start writing… (Markdown works)'),
    EditorView.contentAttributes.of({ 'aria-label': 'Document text' }),
    keymap.of([...searchKeymap, ...defaultKeymap, indentWithTab])
  ]
}
