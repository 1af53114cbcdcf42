/**
 * Where another person's caret is, from the `cursor` they publish in awareness (Yjs relative
 * positions, as y-codemirror.next and the editor's remote selections write them), so the page
 * can scroll to it.
 */

import { EditorSelection } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import type { EditorHandle, Peer } from '@quire/editor'
import * as Y from 'yjs'

/** The text offset of `peer`'s caret in `editor`, or `undefined` when they have none. */
export function peerCaret(editor: EditorHandle, peer: Peer): number | undefined {
  const state = editor.session.awareness.getStates().get(peer.clientId) as { cursor?: { head?: unknown } | null } | undefined
  const head = state?.cursor?.head
  if (head == null) return undefined
  try {
    const position = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(head), editor.doc)
    if (position === null || position.type !== editor.session.text) return undefined
    return Math.min(position.index, editor.view.state.doc.length)
  } catch {
    return undefined
  }
}

/** Scroll `editor` to `peer`'s caret and put the local caret there; `false` when they have none. */
export function jumpToPeer(editor: EditorHandle, peer: Peer): boolean {
  const at = peerCaret(editor, peer)
  if (at === undefined) return false
  editor.view.dispatch({ selection: EditorSelection.cursor(at), effects: EditorView.scrollIntoView(at, { y: 'center' }) })
  editor.view.focus()
  return true
}
