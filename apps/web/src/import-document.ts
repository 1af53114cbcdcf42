/**
 * Import: a text file's content into the document at the caret (replacing the selection), the
 * same thing dropping a file on the editor does. Nothing is replaced wholesale, so an import
 * into a shared document never wipes what others wrote.
 */
import type { EditorView } from '@codemirror/view'
import { h } from './dom.js'

/** File types offered by the picker (any file is read as UTF-8 text). */
export const IMPORT_ACCEPT = '.md,.markdown,.txt,text/plain,text/markdown'

/** Insert `text` at `view`'s selection, as one undoable change. */
export function insertText(view: EditorView, text: string): void {
  const { from, to } = view.state.selection.main
  view.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + text.length }, scrollIntoView: true, userEvent: 'input.paste' })
  view.focus()
}

/** An "Import" button (and its hidden file picker) that reads a chosen file into `view`. */
export function importButton(view: EditorView): HTMLElement {
  const picker = h('input', { type: 'file', accept: IMPORT_ACCEPT, hidden: true, class: 'import-file' })
  const button = h('button', { type: 'button', class: 'button import', title: 'Insert a .md or .txt file at the caret (or drop it on the text)' }, 'Import')
  button.addEventListener('click', () => picker.click())
  picker.addEventListener('change', () => {
    const file = picker.files?.[0]
    if (file === undefined) return
    void file.text().then((text) => {
      insertText(view, text)
      picker.value = ''
    })
  })
  return h('span', { class: 'import-control' }, button, picker)
}
