/**
 * The few-lines embedding: a session plus an `EditorView` bound to it, behind one handle.
 */
import type { Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import type { WebsocketProvider } from 'y-websocket'
import type * as Y from 'yjs'
import { collaborative } from './collaborative.js'
import type { User } from './identity.js'
import type { Peer } from './presence.js'
import { createSession, type Session, type SessionEvents, type SessionOptions } from './session.js'
import type { EditorStatus } from './status.js'

/** Options for {@link createEditor}: the session's, plus where and how to show the editor. */
export interface EditorOptions extends SessionOptions {
  /** The element the editor is appended to. */
  parent: Element | DocumentFragment
  /** More CodeMirror extensions: a setup, a language, a theme, keymaps. */
  extensions?: Extension
}

/** A live collaborative editor. */
export interface EditorHandle {
  /** The CodeMirror view. */
  readonly view: EditorView
  /** The session behind the view (document, provider, status, presence). */
  readonly session: Session
  /** The Yjs document. */
  readonly doc: Y.Doc
  /** The y-websocket provider. */
  readonly provider: WebsocketProvider
  /** The current status. */
  readonly status: EditorStatus
  /** The local user as peers see them. */
  readonly user: User
  /** Change the local user's name or colour. */
  setUser(user: Partial<User>): void
  /** The other people in the document now. */
  peers(): Peer[]
  /** Listen to `status` or `peers` changes. */
  on<E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]): void
  /** Stop listening. */
  off<E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]): void
  /** Remove the editor and disconnect. */
  destroy(): void
}

/** Open `options.document` from `options.serverUrl` in a new editor inside `options.parent`. */
export function createEditor(options: EditorOptions): EditorHandle {
  const { parent, extensions = [], ...sessionOptions } = options
  const session = createSession(sessionOptions)
  const view = new EditorView({ parent, extensions: [collaborative(session), extensions] })
  return {
    view,
    session,
    doc: session.doc,
    provider: session.provider,
    get status() {
      return session.status
    },
    get user() {
      return session.user
    },
    setUser: (user) => session.setUser(user),
    peers: () => session.peers(),
    on: (event, listener) => void session.on(event, listener),
    off: (event, listener) => session.off(event, listener),
    destroy() {
      view.destroy()
      session.destroy()
    }
  }
}
