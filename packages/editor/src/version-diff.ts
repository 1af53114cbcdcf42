/**
 * What changed between two texts, drawn in a read-only editor with `@codemirror/merge`'s unified
 * view: the newer text with insertions underlined and deletions struck through in place (never by
 * colour alone, so it reads without colour vision, in dark mode and on a phone), and long
 * unchanged stretches folded into a "N unchanged lines" bar that opens on click or, focused, Enter.
 */
import { unifiedMergeView } from '@codemirror/merge'
import { EditorState, type Extension } from '@codemirror/state'
import { EditorView, ViewPlugin } from '@codemirror/view'

/** How to show a diff. */
export interface VersionDiffOptions {
  /** The older text; the editor holds the newer one. */
  original: string
  /** Unchanged lines to keep around each change before folding the rest (default 2; `false`: never fold). */
  margin?: number | false
}

// currentColor keeps the marks readable on any background; the tint only helps the eye.
const diffTheme = EditorView.theme({
  // The merge view wraps a whole changed chunk in <ins>/<del>; only the changed words are marked.
  '.cm-changedText': {
    textDecoration: 'underline 2px',
    textUnderlineOffset: '3px',
    background: 'color-mix(in srgb, #2a9d4b 18%, transparent) !important'
  },
  '.cm-deletedText': {
    textDecoration: 'line-through 2px',
    background: 'color-mix(in srgb, #d9443a 16%, transparent) !important'
  },
  '.cm-deletedChunk': { paddingLeft: '6px', borderLeft: '3px double currentColor', opacity: '0.9' },
  '.cm-changedLine': { background: 'color-mix(in srgb, #2a9d4b 7%, transparent) !important' },
  '.cm-collapsedLines': { fontStyle: 'italic', color: 'inherit !important', background: 'color-mix(in srgb, currentColor 8%, transparent) !important' },
  // The merge view's own marks (⦚) are missing from many fonts; middle dots are in all of them.
  '.cm-collapsedLines:before, .cm-collapsedLines:after': { content: '"···"' },
  '.cm-line, .cm-deletedLine': { overflowWrap: 'anywhere' }
})

// The merge view opens a fold on click only: each fold also becomes a button for the keyboard.
const foldsByKeyboard = ViewPlugin.define((view) => {
  const mark = (): void =>
    view.requestMeasure({
      read: () => null,
      write: () => {
        for (const fold of view.dom.querySelectorAll<HTMLElement>('.cm-collapsedLines:not([tabindex])')) {
          fold.tabIndex = 0
          fold.setAttribute('role', 'button')
          fold.title = 'Show these unchanged lines'
        }
      }
    })
  mark()
  return { update: mark }
})

const openFoldOnEnter = EditorView.domEventHandlers({
  keydown(event) {
    const fold = (event.target as Element).closest?.('.cm-collapsedLines')
    if (fold === null || fold === undefined || (event.key !== 'Enter' && event.key !== ' ')) return false
    event.preventDefault()
    ;(fold as HTMLElement).click()
    return true
  }
})

/** A read-only editor extension showing how its text differs from `options.original`. */
export function versionDiff(options: VersionDiffOptions): Extension {
  const margin = options.margin ?? 2
  return [
    unifiedMergeView({
      original: options.original,
      mergeControls: false,
      gutter: true,
      highlightChanges: true,
      syntaxHighlightDeletions: false,
      // A word changed in a sentence reads in place, struck through beside its replacement.
      allowInlineDiffs: true,
      ...(margin === false ? {} : { collapseUnchanged: { margin, minSize: margin + 2 } })
    }),
    EditorState.readOnly.of(true),
    EditorView.editable.of(false),
    EditorView.lineWrapping,
    diffTheme,
    foldsByKeyboard,
    openFoldOnEnter
  ]
}
