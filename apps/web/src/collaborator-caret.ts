/**
 * Where another person's caret is, from the `cursor` they publish in awareness (Yjs relative
 * positions, as y-codemirror.next and the editor's remote selections write them), so the page
 * can scroll to it.
 */

import { EditorSelection } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import type { Collaborator, EditorHandle } from '@quire/editor'
import * as Y from 'yjs'

/** The text offset of `collaborator`'s caret in `editor`, or `undefined` when they have none. */
export function collaboratorCaret(editor: EditorHandle, collaborator: Collaborator): number | undefined {
  const state = editor.document.awareness.getStates().get(collaborator.clientId) as { cursor?: { head?: unknown } | null } | undefined
  const head = state?.cursor?.head
  if (head == null) return undefined
  try {
    const position = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(head), editor.doc)
    if (position === null || position.type !== editor.document.text) return undefined
    return Math.min(position.index, editor.view.state.doc.length)
  } catch {
    return undefined
  }
}

/** Scroll `editor` to `collaborator`'s caret and put the local caret there; `false` when they have none. */
export function jumpToCollaborator(editor: EditorHandle, collaborator: Collaborator): boolean {
  const at = collaboratorCaret(editor, collaborator)
  if (at === undefined) return false
  editor.view.dispatch({ selection: EditorSelection.cursor(at), effects: EditorView.scrollIntoView(at, { y: 'center' }) })
  editor.view.focus()
  return true
}
