/**
 * The editor's look, in the page's colour variables (style.css), so light and dark follow the
 * system without rebuilding the theme; only CodeMirror's own dark flag needs to be switched.
 */
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { Compartment, type Extension } from '@codemirror/state'
import { EditorView, ViewPlugin } from '@codemirror/view'
import { tags } from '@lezer/highlight'

const theme = EditorView.theme({
  '&': { height: '100%', color: 'var(--fg)', backgroundColor: 'var(--bg)', fontSize: '16px' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.6' },
  // Room above the first line for a remote caret's name label.
  '.cm-content': { padding: '18px 0 40vh', caretColor: 'var(--accent)' },
  '.cm-line': { padding: '0 16px 0 8px' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--accent)', borderLeftWidth: '2px' },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection': {
    backgroundColor: 'var(--selection)'
  },
  '.cm-activeLine': { backgroundColor: 'var(--active-line)' },
  '.cm-gutters': { backgroundColor: 'var(--bg)', color: 'var(--muted)', border: 'none', paddingLeft: '4px' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--active-line)', color: 'var(--fg)' },
  '.cm-matchingBracket, &.cm-focused .cm-matchingBracket': { backgroundColor: 'var(--match)', outline: '1px solid var(--border)' },
  '.cm-searchMatch': { backgroundColor: 'var(--match)' },
  '.cm-searchMatch.cm-searchMatch-selected': { backgroundColor: 'var(--selection)' },
  '.cm-selectionMatch': { backgroundColor: 'var(--match)' },
  '.cm-placeholder': { color: 'var(--muted)' },
  // "Start writing" would be a false promise in a read-only or refused document.
  ".cm-content[contenteditable='false'] .cm-placeholder": { display: 'none' },
  '.cm-panels': { backgroundColor: 'var(--surface)', color: 'var(--fg)' },
  '.cm-panels.cm-panels-top': { borderBottom: '1px solid var(--border)' },
  '.cm-panel.cm-search': { padding: '6px 8px', fontFamily: 'var(--sans)' },
  '.cm-panel.cm-search input, .cm-panel.cm-search button': { fontSize: '14px' },
  '.cm-textfield': { backgroundColor: 'var(--bg)', color: 'var(--fg)', border: '1px solid var(--border)', borderRadius: '4px' },
  '.cm-button': {
    backgroundImage: 'none',
    backgroundColor: 'var(--surface-strong)',
    color: 'var(--fg)',
    border: '1px solid var(--border)',
    borderRadius: '4px'
  }
})

const markdownHighlight = HighlightStyle.define([
  { tag: tags.heading1, fontWeight: '700', fontSize: '1.3em', color: 'var(--md-heading)' },
  { tag: tags.heading2, fontWeight: '700', fontSize: '1.15em', color: 'var(--md-heading)' },
  { tag: [tags.heading3, tags.heading4, tags.heading5, tags.heading6], fontWeight: '700', color: 'var(--md-heading)' },
  { tag: tags.strong, fontWeight: '700' },
  { tag: tags.emphasis, fontStyle: 'italic' },
  { tag: tags.strikethrough, textDecoration: 'line-through' },
  { tag: [tags.link, tags.url], color: 'var(--md-link)', textDecoration: 'underline' },
  { tag: tags.monospace, color: 'var(--md-code)' },
  { tag: tags.quote, color: 'var(--md-quote)', fontStyle: 'italic' },
  // Markup characters (#, *, >, list marks) recede so the words stand out.
  { tag: [tags.processingInstruction, tags.contentSeparator, tags.meta], color: 'var(--md-mark)' }
])

const darkMode = new Compartment()

const darkQuery = (): MediaQueryList => matchMedia('(prefers-color-scheme: dark)')

// Switches CodeMirror's own dark-flavoured base styles (panels, tooltips) with the system.
const followColorScheme = ViewPlugin.define((view) => {
  const query = darkQuery()
  const onChange = (): void => view.dispatch({ effects: darkMode.reconfigure(EditorView.darkTheme.of(query.matches)) })
  query.addEventListener('change', onChange)
  return { destroy: () => query.removeEventListener('change', onChange) }
})

/** The editor's theme and Markdown highlighting, light or dark as the system prefers. */
export function editorTheme(): Extension {
  return [theme, syntaxHighlighting(markdownHighlight), darkMode.of(EditorView.darkTheme.of(darkQuery().matches)), followColorScheme]
}
