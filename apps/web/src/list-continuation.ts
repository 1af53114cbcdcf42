/**
 * Enter in a Markdown list starts the next item with its mark ("- "), so people who type the
 * mark themselves, as they would anywhere else, got "- - b". When the mark just typed repeats the
 * one already there on an otherwise empty item, the space that completes it is taken as
 * confirming the existing mark instead of nesting a second one.
 */
import { EditorView } from '@codemirror/view'

// "- -", "  * *", "> - -", "3. 3." or "3. 4)": an item mark, then the same kind typed again.
const DOUBLED = /^((?:\s*>)*\s*)([-+*]|\d{1,9}[.)]) ([-+*]|\d{1,9}[.)])$/

function sameKind(a: string, b: string): boolean {
  const bullet = (mark: string): boolean => /^[-+*]$/.test(mark)
  return bullet(a) ? a === b : !bullet(b)
}

/** The line prefix `before` with a doubled item mark collapsed, or `undefined` when it has none. */
export function collapseDoubledMark(before: string): string | undefined {
  const match = DOUBLED.exec(before)
  if (!match) return undefined
  const [, indent = '', first = '', second = ''] = match
  return sameKind(first, second) ? `${indent}${first} ` : undefined
}

/** The editor extension: typing a space after a repeated list mark keeps one mark. */
export function listMarkDeduplication(): ReturnType<typeof EditorView.inputHandler.of> {
  return EditorView.inputHandler.of((view, from, to, text) => {
    if (text !== ' ' || from !== to || view.state.readOnly) return false
    const line = view.state.doc.lineAt(from)
    const collapsed = collapseDoubledMark(line.text.slice(0, from - line.from))
    if (collapsed === undefined) return false
    view.dispatch({
      changes: { from: line.from, to: from, insert: collapsed },
      selection: { anchor: line.from + collapsed.length },
      userEvent: 'input.type'
    })
    return true
  })
}
