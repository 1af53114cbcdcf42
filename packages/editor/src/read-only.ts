/**
 * Read-only mode that follows the open document: the host may ask for it up front, and the
 * server may impose it later (a read-only token, a permission-denied message), so it is state,
 * not config.
 */
import { EditorState, type Extension, StateEffect, StateField } from '@codemirror/state'
import { EditorView, ViewPlugin } from '@codemirror/view'
import type { OpenDocument } from './open-document.js'

const setReadOnly = StateEffect.define<boolean>()

const readOnlyField = StateField.define<boolean>({
  create: () => false,
  update(value, tr) {
    for (const effect of tr.effects) if (effect.is(setReadOnly)) value = effect.value
    return value
  },
  provide: (field) => [EditorState.readOnly.from(field), EditorView.editable.from(field, (readOnly) => !readOnly)]
})

/** Make the editor read-only whenever `document.status.readOnly` is set. */
export function followReadOnly(document: OpenDocument): Extension {
  return [
    readOnlyField.init(() => document.status.readOnly),
    ViewPlugin.define((view) => {
      // Status changes that reach here while CodeMirror is mid-update (saved flags from a local
      // keystroke) never change readOnly, so this dispatch only runs from network events.
      const onStatus = ({ readOnly }: { readOnly: boolean }): void => {
        if (readOnly !== view.state.field(readOnlyField)) view.dispatch({ effects: setReadOnly.of(readOnly) })
      }
      document.on('status', onStatus)
      return { destroy: () => document.off('status', onStatus) }
    })
  ]
}
