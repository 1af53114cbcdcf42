/**
 * The README's vanilla example, as a page: `?server=ws://127.0.0.1:1234&doc=notes&token=…&name=Ada`
 * says which server, document, token and name to use. Everything else is as the README shows.
 */
import { EditorView } from '@codemirror/view'
import { createEditor, type EditorHandle, type EditorStatus } from '@quire/editor'

declare global {
  interface Window {
    /** The editor, for the browser console and the example's test. */
    editor?: EditorHandle
  }
}

const params = new URLSearchParams(location.search)
const name = params.get('name')

const editor = createEditor({
  parent: document.querySelector('#editor')!,
  serverUrl: params.get('server') ?? 'ws://127.0.0.1:1234',
  document: params.get('doc') ?? 'example/embed',
  token: params.get('token') ?? undefined, // only for a server started with --auth-secret
  user: name === null ? undefined : { name }, // optional; otherwise a remembered random name and colour
  extensions: [EditorView.lineWrapping]
})

const statusLine = document.querySelector<HTMLElement>('#status')!
const showStatus = (status: EditorStatus): void => {
  statusLine.textContent =
    status.connection === 'connected' ? (status.saved ? 'Saved' : 'Saving…') : status.reason ? `${status.connection}: ${status.reason}` : status.connection
  statusLine.dataset.connection = status.connection
  statusLine.dataset.readOnly = String(status.readOnly)
}
showStatus(editor.status)
editor.on('status', showStatus)
window.editor = editor
