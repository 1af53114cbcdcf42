/**
 * The CodeMirror side of an open document: the Y.Text binding with remote carets and
 * selections, undo that only undoes the local user's edits, read-only mode when the document's
 * status says so, and large changes sent in parts under the server's message limit.
 */
import { type Extension, Prec } from '@codemirror/state'
import { keymap } from '@codemirror/view'
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import * as Y from 'yjs'
import { largeChanges } from './large-changes.js'
import type { OpenDocument } from './open-document.js'
import { followReadOnly } from './read-only.js'
import { remoteSelections } from './remote-selections.js'

/**
 * Bind an editor to `document`. Use it instead of CodeMirror's `history()`: its undo keys take
 * precedence, and a `Y.UndoManager` tracks only changes made in this editor.
 */
export function collaborative(document: OpenDocument): Extension {
  const undoManager = new Y.UndoManager(document.text)
  return [
    // No awareness for yCollab: remoteSelections draws carets instead of its yRemoteSelections.
    yCollab(document.text, null, { undoManager }),
    remoteSelections(document.text, document.awareness),
    Prec.high(keymap.of(yUndoManagerKeymap)),
    followReadOnly(document),
    largeChanges({ maxMessageBytes: () => document.maxMessageBytes, refused: (message) => document.emit('notice', [message]) })
  ]
}
