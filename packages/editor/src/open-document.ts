/**
 * A session is one open document: the Y.Doc, the y-websocket provider that syncs it with the
 * server, the IndexedDB cache that keeps it across offline reloads, and the status and presence
 * derived from them. It knows nothing about CodeMirror, so a host can show status without a view.
 */
import { checkDocumentName, documentPath, EXTENSIONS_PARAM, MessageType, Extension as ProtocolExtension } from '@quire/protocol'
import { ObservableV2 } from 'lib0/observable'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as authProtocol from 'y-protocols/auth'
import { type Awareness, removeAwarenessStates } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { type Access, accessUrl, checkAccess } from './access.js'
import { AckTracker, trackSaved } from './acknowledgements.js'
import { type BackoffOptions, DEFAULT_BACKOFF, jitteredBackoff } from './backoff.js'
import { closeReason, closeVerdict } from './close-policy.js'
import { type IdentityStorage, rememberedUser, rememberUser, type User } from './identity.js'
import { type Peer, peersOf } from './presence.js'
import { type EditorStatus, initialStatus, nextStatus, type StatusEvent } from './status.js'

/** How to open a document. */
export interface SessionOptions {
  /** The sync server, for example `wss://quire.example.com` (`ws:`/`wss:`; `http(s):` is converted). */
  serverUrl: string
  /** The document name, for example `notes/today`; see `checkDocumentName` in `@quire/protocol`. */
  document: string
  /** An access token, sent as `?token=`. */
  token?: string
  /** Who the user is; missing fields come from the identity remembered in this browser. */
  user?: Partial<User>
  /** Open the document read-only whatever the token allows. */
  readOnly?: boolean
  /** Keep a copy in IndexedDB so edits survive an offline reload (default `true`). */
  offlineCache?: boolean
  /** Ask the server for saved acknowledgements (default `true`; turn off for stock y-websocket servers). */
  acknowledgements?: boolean
  /** Reconnection backoff (default: 200 ms doubling to 5 s, with jitter). */
  backoff?: BackoffOptions
}

/** The events a session emits. */
export interface SessionEvents {
  /** The status changed. */
  status: (status: EditorStatus) => void
  /** Someone joined, left or changed their name or colour. */
  peers: (peers: Peer[]) => void
}

/** The y-websocket serverUrl for an http(s) or ws(s) URL. */
function websocketUrl(serverUrl: string): string {
  return serverUrl.replace(/^http(s?):/, 'ws$1:')
}

// One cache per server and document: the same name on two servers is two documents.
function cacheName({ serverUrl, document }: SessionOptions): string {
  const url = new URL(websocketUrl(serverUrl))
  return `quire:${url.host}${url.pathname.replace(/\/+$/, '')}${documentPath(document)}`
}

function browserStorage(): IdentityStorage | undefined {
  try {
    return globalThis.localStorage
  } catch {
    return undefined
  }
}

/** One open document, synced with the server; create it with {@link createSession}. */
export class Session extends ObservableV2<SessionEvents> {
  /** The Yjs document. */
  readonly doc = new Y.Doc()
  /** The shared text; named `codemirror` so stock y-websocket clients see the same text. */
  readonly text = this.doc.getText('codemirror')
  /** The y-websocket provider, for hosts that need the lower level. */
  readonly provider: WebsocketProvider
  /** The IndexedDB cache, when enabled. */
  readonly cache: IndexeddbPersistence | undefined
  readonly #options: SessionOptions
  readonly #tracker = new AckTracker()
  readonly #cleanups: Array<() => void> = []
  #status: EditorStatus
  #user: User
  /** The access check in flight, shared by whoever asks meanwhile (each one counts on the server). */
  #accessCheck: Promise<Access> | undefined
  /** Sockets opened so far: an access answer about an earlier failure is stale once this moves. */
  #opens = 0
  #destroyed = false

  constructor(options: SessionOptions) {
    super()
    const name = checkDocumentName(options.document)
    if (!name.ok) throw new TypeError(`Invalid document name ${JSON.stringify(options.document)}: ${name.reason}`)
    this.#options = options
    this.#status = initialStatus(options.readOnly ?? false)
    this.#user = { ...rememberedUser(browserStorage()), ...options.user }

    const params: Record<string, string> = {}
    if (options.token !== undefined) params.token = options.token
    if (options.acknowledgements ?? true) params[EXTENSIONS_PARAM] = ProtocolExtension.Ack
    // y-websocket appends '/' + roomname verbatim, so the room is the encoded path minus its '/'.
    this.provider = new WebsocketProvider(websocketUrl(options.serverUrl), documentPath(options.document).slice(1), this.doc, {
      connect: false,
      params,
      // Temporary closes (a restart, a rate limit, a storage hiccup) are retried; permanent
      // ones (a refused token, a damaged document) end in the 'closed' event. See close-policy.ts.
      shouldReconnect: (event) => closeVerdict(event.code).action === 'retry'
    })
    this.awareness.setLocalStateField('user', this.#user)
    this.cache = (options.offlineCache ?? true) ? new IndexeddbPersistence(cacheName(options), this.doc) : undefined
    this.#wire()
    this.provider.connect()
    // Learn up front whether the token only allows reading, before anyone types.
    if (options.token !== undefined) void this.#askAccess().then((access) => this.#actOnAccess(access, false))
  }

  /** The awareness (presence) instance shared with peers. */
  get awareness(): Awareness {
    return this.provider.awareness
  }

  /** The current status. */
  get status(): EditorStatus {
    return this.#status
  }

  /** The local user as peers see them. */
  get user(): User {
    return this.#user
  }

  /** Change the local user's name or colour; remembered in this browser unless the host set the user. */
  setUser(user: Partial<User>): void {
    this.#user = { ...this.#user, ...user }
    this.awareness.setLocalStateField('user', this.#user)
    if (this.#options.user === undefined) rememberUser(browserStorage(), this.#user)
  }

  /** The other people in the document now. */
  peers(): Peer[] {
    return peersOf(this.awareness)
  }

  /** Disconnect and release everything; the IndexedDB cache is kept for next time. */
  override destroy(): void {
    this.#destroyed = true
    for (const cleanup of this.#cleanups.splice(0)) cleanup()
    this.provider.destroy()
    this.awareness.destroy()
    this.doc.destroy()
    super.destroy()
  }

  #wire(): void {
    const provider = this.provider
    let opened = false
    const onStatus = ({ status }: { status: string }): void => {
      if (status === 'connecting') opened = false
      if (status === 'connected') {
        opened = true
        this.#opens++
      }
      if (status === 'connecting') this.#apply({ type: 'connecting' })
    }
    const onSync = (synced: boolean): void => {
      if (synced) this.#apply({ type: 'synced' })
    }
    const onConnectionClose = (event: CloseEvent | null): void => {
      // Closed by us (destroy, a refusal); a null event with shouldConnect is the provider's
      // watchdog giving up on a silent socket, which is as offline as a server going away.
      if (!provider.shouldConnect) return
      if (event === null) return this.#apply({ type: 'disconnected' })
      // A permanent close is reported by onClosed, which the provider emits right after this.
      if (closeVerdict(event.code).action === 'stop') return
      // A socket that never opened was refused (a browser cannot see the HTTP status) or the
      // server is unreachable: ask the server which, and only then say so.
      if (!opened) return void this.#explainFailure()
      this.#apply(event.reason === '' ? { type: 'disconnected' } : { type: 'disconnected', reason: event.reason, closeCode: event.code })
    }
    const onClosed = ({ code, reason }: { code: number; reason: string }): void => {
      const verdict = closeVerdict(code)
      if (verdict.action !== 'stop') return
      // Also leaves the cross-tab channel: a stopped editor neither sends nor receives.
      provider.disconnect()
      this.#apply({ type: 'stopped', connection: verdict.connection, reason: closeReason(code, reason), closeCode: code })
    }
    // Awareness changes with every caret move; hosts only hear when the people change.
    let lastPeers = '[]'
    const onAwareness = (): void => {
      const peers = this.peers()
      const key = JSON.stringify(peers)
      if (key === lastPeers) return
      lastPeers = key
      this.emit('peers', [peers])
    }
    // Peers would otherwise see our caret for 30 s after the tab closes.
    const onPageHide = (): void => removeAwarenessStates(this.awareness, [this.doc.clientID], 'window unload')

    provider.messageHandlers[MessageType.Auth] = (_encoder, decoder) => {
      authProtocol.readAuthMessage(decoder, this.doc, (_doc, reason) =>
        this.#apply({ type: 'read-only', reason: reason || 'The server does not accept changes from you.' })
      )
    }
    provider.on('status', onStatus)
    provider.on('sync', onSync)
    provider.on('connection-close', onConnectionClose)
    provider.on('closed', onClosed)
    this.awareness.on('change', onAwareness)
    globalThis.addEventListener?.('pagehide', onPageHide)
    this.#cleanups.push(
      trackSaved(provider, this.#tracker, this.#options.acknowledgements ?? true, () => this.#apply({ type: 'saved', saved: this.#tracker.saved })),
      jitteredBackoff(provider, this.#options.backoff ?? DEFAULT_BACKOFF),
      () => {
        provider.off('status', onStatus)
        provider.off('sync', onSync)
        provider.off('connection-close', onConnectionClose)
        provider.off('closed', onClosed)
        this.awareness.off('change', onAwareness)
        globalThis.removeEventListener?.('pagehide', onPageHide)
      }
    )
  }

  #askAccess(): Promise<Access> {
    if (this.#accessCheck === undefined) {
      const { serverUrl, document, token } = this.#options
      this.#accessCheck = checkAccess(accessUrl(serverUrl, document, token)).finally(() => {
        this.#accessCheck = undefined
      })
    }
    return this.#accessCheck
  }

  // A socket failed before opening: find out why, unless a later socket opened meanwhile.
  async #explainFailure(): Promise<void> {
    const opens = this.#opens
    const access = await this.#askAccess()
    if (opens === this.#opens) this.#actOnAccess(access, true)
  }

  #actOnAccess(access: Access, afterFailure: boolean): void {
    if (this.#destroyed || !this.provider.shouldConnect) return
    if (access.kind === 'refused') {
      this.provider.disconnect()
      this.#apply({ type: 'stopped', connection: access.connection, reason: access.reason })
      return
    }
    if (access.kind === 'granted' && access.access === 'read') this.#apply({ type: 'read-only', reason: 'The access token only allows reading.' })
    if (access.kind === 'wait') this.#apply({ type: 'disconnected', reason: access.reason })
    else if (afterFailure) this.#apply({ type: 'disconnected' })
  }

  #apply(event: StatusEvent): void {
    const next = nextStatus(this.#status, event)
    if (next === this.#status) return
    this.#status = next
    this.emit('status', [next])
  }
}

/** Open `options.document` on the server and start syncing (and caching) it. */
export function createSession(options: SessionOptions): Session {
  return new Session(options)
}
