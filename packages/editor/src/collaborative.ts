/**
 * The CodeMirror side of a session: the Y.Text binding with remote carets and selections, undo
 * that only undoes the local user's edits, and read-only mode when the session says so.
 */
import { type Extension, Prec } from '@codemirror/state'
import { keymap } from '@codemirror/view'
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import * as Y from 'yjs'
import { sessionReadOnly } from './read-only.js'
import { remoteSelections } from './remote-selections.js'
import type { Session } from './session.js'

/**
 * Bind an editor to `session`. Use it instead of CodeMirror's `history()`: its undo keys take
 * precedence, and a `Y.UndoManager` tracks only changes made in this editor.
 */
export function collaborative(session: Session): Extension {
  const undoManager = new Y.UndoManager(session.text)
  return [
    // No awareness for yCollab: remoteSelections draws carets instead of its yRemoteSelections.
    yCollab(session.text, null, { undoManager }),
    remoteSelections(session.text, session.awareness),
    Prec.high(keymap.of(yUndoManagerKeymap)),
    sessionReadOnly(session)
  ]
}
