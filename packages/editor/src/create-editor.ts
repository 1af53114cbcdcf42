/**
 * The few-lines embedding: an open document plus an `EditorView` bound to it, behind one handle.
 */
import type { Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import type * as Y from 'yjs'
import { collaborative } from './collaborative.js'
import type { Collaborator } from './collaborators.js'
import type { HistoryClient } from './history-client.js'
import type { User } from './identity.js'
import { type OpenDocument, type OpenDocumentEvents, type OpenDocumentOptions, openDocument } from './open-document.js'
import type { EditorStatus } from './status.js'

/** Options for {@link createEditor}: the open document's, plus where and how to show the editor. */
export interface EditorOptions extends OpenDocumentOptions {
  /** The element the editor is appended to. */
  parent: Element | DocumentFragment
  /** More CodeMirror extensions: a setup, a language, a theme, keymaps. */
  extensions?: Extension
}

/** A live collaborative editor. */
export interface EditorHandle {
  /** The CodeMirror view. */
  readonly view: EditorView
  /** The open document behind the view (Y.Doc, text, status, collaborators, cache). */
  readonly document: OpenDocument
  /** The Yjs document. */
  readonly doc: Y.Doc
  /** The current status. */
  readonly status: EditorStatus
  /** The local user as collaborators see them. */
  readonly user: User
  /** Change the local user's name or colour. */
  setUser(user: Partial<User>): void
  /** The other people in the document now. */
  collaborators(): Collaborator[]
  /** Listen to `status`, `collaborators` or `history` events. */
  on<E extends keyof OpenDocumentEvents>(event: E, listener: OpenDocumentEvents[E]): void
  /** Stop listening. */
  off<E extends keyof OpenDocumentEvents>(event: E, listener: OpenDocumentEvents[E]): void
  /** The document's history on its server (versions, diffs, authorship, restore), with this editor's token. */
  history(): HistoryClient
  /** Remove the editor and disconnect. */
  destroy(): void
}

// The editor fills the element it is given (when that element has a height) and scrolls inside
// it, instead of growing with the text past the host's layout. A base theme: any host theme wins.
const fillParent = EditorView.baseTheme({ '&': { height: '100%' }, '.cm-scroller': { overflow: 'auto' } })

/** Open `options.document` from `options.serverUrl` in a new editor inside `options.parent`. */
export function createEditor(options: EditorOptions): EditorHandle {
  const { parent, extensions = [], ...documentOptions } = options
  const document = openDocument(documentOptions)
  const view = new EditorView({ parent, extensions: [collaborative(document), fillParent, extensions] })
  return {
    view,
    document,
    doc: document.doc,
    get status() {
      return document.status
    },
    get user() {
      return document.user
    },
    setUser: (user) => document.setUser(user),
    collaborators: () => document.collaborators(),
    on: (event, listener) => void document.on(event, listener),
    off: (event, listener) => document.off(event, listener),
    history: () => document.history(),
    destroy() {
      view.destroy()
      document.destroy()
    }
  }
}
