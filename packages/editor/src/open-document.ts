/**
 * An open document: the Y.Doc, the y-websocket provider that syncs it with the server, the
 * IndexedDB cache that keeps it across offline reloads, and the status and collaborators derived
 * from them. It knows nothing about CodeMirror, so a host can show status without a view.
 *
 * It uses only the provider's supported surface: its constructor options (`WebSocketPolyfill`
 * to see frames, `shouldReconnect` to keep reconnecting in the editor's hands, `maxBackoffTime`),
 * its events, `connect()` and `disconnect()`. See README.md, "How it uses y-websocket".
 */
import {
  checkDocumentName,
  documentPath,
  EXTENSIONS_PARAM,
  type HistoryEvent,
  MessageType,
  Extension as ProtocolExtension,
  readFrame,
  readHistoryEvent,
  writeFrame
} from '@quire/protocol'
import { ObservableV2 } from 'lib0/observable'
import { IndexeddbPersistence } from 'y-indexeddb'
import { type Awareness, removeAwarenessStates } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { type Access, accessUrl, checkAccess, claimedAccess } from './access.js'
import { AckTracker, frameKind } from './acknowledgements.js'
import { type BackoffOptions, DEFAULT_BACKOFF, Reconnector } from './backoff.js'
import { closeReason, closeVerdict } from './close-policy.js'
import { type Collaborator, collaboratorsOf } from './collaborators.js'
import { type HistoryClient, history } from './history-client.js'
import { type IdentityStorage, rememberedUser, rememberUser, type User } from './identity.js'
import { DEFAULT_LIVENESS, Liveness, type LivenessOptions } from './liveness.js'
import { type FrameObserver, observedWebSocket } from './observed-socket.js'
import { fetchServerInfo, requestAccessLink, type ServerInfo, type SharedAccess, UNKNOWN_SERVER } from './server-api.js'
import { type EditorStatus, initialStatus, nextStatus, type StatusEvent } from './status.js'

/** How to open a document. */
export interface OpenDocumentOptions {
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
  /** Ask the server for news of new versions and restores, the `history` event (default `true`). */
  historyEvents?: boolean
  /** Reconnection backoff (default: 200 ms doubling to 5 s, with jitter). */
  backoff?: BackoffOptions
  /**
   * How fast a silent (dead) connection is noticed: asked after `quietMs` of silence, given
   * `answerMs` to answer, `connectMs` to connect. Default 5 s, 10 s, 10 s; without
   * acknowledgements (a stock server, which does not answer the question) `quietMs` is 0: off.
   */
  liveness?: Partial<LivenessOptions>
  /**
   * The server's message limit; larger local changes are sent in parts under it. Default: what
   * the server says at `GET /api/server`, or 16 MiB (the Quire default) when it does not say.
   */
  maxMessageBytes?: number
  /** The WebSocket class (default: the global `WebSocket`); in Node, pass the `ws` package's. */
  WebSocketPolyfill?: typeof WebSocket
}

/** The events an open document emits. */
export interface OpenDocumentEvents {
  /** The status changed. */
  status: (status: EditorStatus) => void
  /** Someone joined, left or changed their name or colour. */
  collaborators: (collaborators: Collaborator[]) => void
  /** The server cut a version or someone restored one (only with `historyEvents`, on a Quire server). */
  history: (event: HistoryEvent) => void
  /** Something the user should know that is not a status: a change that was refused before it was made. */
  notice: (message: string) => void
}

/** The y-websocket serverUrl for an http(s) or ws(s) URL. */
function websocketUrl(serverUrl: string): string {
  return serverUrl.replace(/^http(s?):/, 'ws$1:')
}

// One cache per server and document: the same name on two servers is two documents.
function cacheName({ serverUrl, document }: OpenDocumentOptions): string {
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

/**
 * How long an editor that waits to learn whether the user may write stays read-only without an
 * answer: past it, the server is taken to be unreachable and typing goes on offline.
 */
export const ACCESS_WAIT_MS = 3_000

const READ_TOKEN = 'The access token only allows reading.'

/** One open document, synced with the server; create it with {@link openDocument}. */
export class OpenDocument extends ObservableV2<OpenDocumentEvents> {
  /** The Yjs document. */
  readonly doc = new Y.Doc()
  /** The shared text; named `codemirror` so stock y-websocket clients see the same text. */
  readonly text = this.doc.getText('codemirror')
  /**
   * Escape hatch: the y-websocket provider underneath, for what the editor does not offer (for
   * example its `connection-error` event). The editor relies on its own handlers staying in
   * place: calling `connect()`/`disconnect()`, replacing `shouldReconnect`, `params` or
   * `messageHandlers` bypasses the status, the saved tracking and the reconnect policy.
   */
  readonly provider: WebsocketProvider
  /** The IndexedDB cache, when enabled. */
  readonly cache: IndexeddbPersistence | undefined
  readonly #options: OpenDocumentOptions
  readonly #tracker = new AckTracker()
  readonly #reconnector: Reconnector
  readonly #liveness: Liveness
  readonly #cleanups: Array<() => void> = []
  #status: EditorStatus
  #user: User
  #server: ServerInfo
  #serverAsked: Promise<ServerInfo> | undefined
  /** The access check in flight, shared by whoever asks meanwhile (each one counts on the server). */
  #accessCheck: Promise<Access> | undefined
  /** Sockets opened so far: an access answer about an earlier failure is stale once this moves. */
  #opens = 0
  /** Retrying stopped for good (a final close or a refused token), or the document was destroyed. */
  #stopped = false
  #destroyed = false

  constructor(options: OpenDocumentOptions) {
    super()
    const name = checkDocumentName(options.document)
    if (!name.ok) throw new TypeError(`Invalid document name ${JSON.stringify(options.document)}: ${name.reason}`)
    this.#options = options
    this.#server = options.maxMessageBytes === undefined ? UNKNOWN_SERVER : { ...UNKNOWN_SERVER, maxMessageBytes: options.maxMessageBytes }
    // A read token is read-only before anything is sent; a token whose claims cannot be read,
    // or none (the server may need one), waits for the server's word (awaitingAccess).
    const claim = claimedAccess(options.token)
    this.#status =
      claim === 'read' && !options.readOnly ? initialStatus(true, false, READ_TOKEN) : initialStatus(options.readOnly ?? false, claim === undefined)
    this.#user = { ...rememberedUser(browserStorage()), ...options.user }
    const backoff = options.backoff ?? DEFAULT_BACKOFF
    const BaseWebSocket = options.WebSocketPolyfill ?? globalThis.WebSocket
    if (BaseWebSocket === undefined) throw new TypeError('No WebSocket class here: pass WebSocketPolyfill (in Node, the ws package)')

    const params: Record<string, string> = {}
    if (options.token !== undefined) params.token = options.token
    const extensions = [this.#acknowledgements && ProtocolExtension.Ack, (options.historyEvents ?? true) && ProtocolExtension.History].filter(Boolean)
    if (extensions.length > 0) params[EXTENSIONS_PARAM] = extensions.join(',')
    // y-websocket appends '/' + roomname verbatim, so the room is the encoded path minus its '/'.
    this.provider = new WebsocketProvider(websocketUrl(options.serverUrl), documentPath(options.document).slice(1), this.doc, {
      connect: false,
      params,
      WebSocketPolyfill: observedWebSocket(BaseWebSocket, this.#frameObserver()),
      // Every close from the server comes to the editor, which retries with jitter or stops
      // (close-policy.ts) on the 'closed' event. The provider still reconnects by itself after
      // closing a silent socket (its watchdog): maxBackoffTime caps that at the editor's cap.
      shouldReconnect: () => false,
      maxBackoffTime: backoff.cap
    })
    this.#reconnector = new Reconnector(() => {
      if (!this.#stopped) this.provider.connect()
    }, backoff)
    this.#liveness = new Liveness({ ...DEFAULT_LIVENESS, ...(this.#acknowledgements ? {} : { quietMs: 0 }), ...options.liveness })
    this.awareness.setLocalStateField('user', this.#user)
    this.cache = (options.offlineCache ?? true) ? new IndexeddbPersistence(cacheName(options), this.doc) : undefined
    this.#wire()
    void this.serverInfo()
    this.provider.connect()
    // Learn up front whether the token only allows reading, before anyone types.
    if (options.token !== undefined) void this.#askAccess().then((access) => this.#actOnAccess(access, false))
    if (this.#status.awaitingAccess) {
      const timer = setTimeout(() => this.#apply({ type: 'writable' }), ACCESS_WAIT_MS)
      this.#cleanups.push(() => clearTimeout(timer))
    }
  }

  /** The awareness (presence) instance shared with collaborators. */
  get awareness(): Awareness {
    return this.provider.awareness
  }

  /** The current status. */
  get status(): EditorStatus {
    return this.#status
  }

  /** The local user as collaborators see them. */
  get user(): User {
    return this.#user
  }

  /** The largest message the server accepts, as known now; larger local changes go in parts. */
  get maxMessageBytes(): number {
    return this.#server.maxMessageBytes
  }

  /**
   * How the server is run (open, or with access tokens; its message limit), asked once; a server
   * that did not say (unreachable, or a stock one) is asked again after the next sync.
   */
  serverInfo(): Promise<ServerInfo> {
    if (this.#serverAsked === undefined) {
      this.#serverAsked = fetchServerInfo(this.#options.serverUrl).then((info) => {
        if (info.access === 'unknown') this.#serverAsked = undefined
        if (!this.#destroyed) this.#server = this.#options.maxMessageBytes === undefined ? info : { ...info, maxMessageBytes: this.#options.maxMessageBytes }
        return this.#server
      })
    }
    return this.#serverAsked
  }

  /**
   * Make an access link's token for this document with `access` (at most what this document's
   * own token allows), optionally expiring sooner. Only servers with tokens make them; throws
   * with the server's reason otherwise. Put the token in the link as `?token=`.
   */
  share(access: 'read' | 'write', expiresInSeconds?: number): Promise<SharedAccess> {
    return requestAccessLink(this.#options.serverUrl, this.#options.document, this.#options.token, access, expiresInSeconds)
  }

  /** Change the local user's name or colour; remembered in this browser unless the host set the user. */
  setUser(user: Partial<User>): void {
    this.#user = { ...this.#user, ...user }
    this.awareness.setLocalStateField('user', this.#user)
    if (this.#options.user === undefined) rememberUser(browserStorage(), this.#user)
  }

  /** The other people in the document now. */
  collaborators(): Collaborator[] {
    return collaboratorsOf(this.awareness)
  }

  /** The document's history on its server, with this document's token. */
  history(): HistoryClient {
    return history(this.#options.serverUrl, this.#options.document, { token: this.#options.token })
  }

  /** Disconnect and release everything; the IndexedDB cache is kept for next time. */
  override destroy(): void {
    this.#destroyed = this.#stopped = true
    this.#reconnector.cancel()
    for (const cleanup of this.#cleanups.splice(0)) cleanup()
    this.provider.destroy()
    this.awareness.destroy()
    this.doc.destroy()
    super.destroy()
  }

  get #acknowledgements(): boolean {
    return this.#options.acknowledgements ?? true
  }

  // Counts what goes out, and takes the frame types the editor handles itself: the server's history news,
  // acknowledgements (unknown to the provider) and permission-denied (which it only logs).
  #frameObserver(): FrameObserver {
    return {
      sending: (data) => {
        const index = this.#tracker.frameSent(frameKind(data))
        if (!this.#acknowledgements) this.#tracker.acknowledged(index)
        this.#savedMayHaveChanged()
      },
      receiving: (bytes) => {
        this.#liveness.received(Date.now())
        if (bytes[0] !== MessageType.Ack && bytes[0] !== MessageType.Auth && bytes[0] !== MessageType.History) return false
        let frame: ReturnType<typeof readFrame>
        try {
          frame = readFrame(bytes)
        } catch {
          return true
        }
        if (frame.type === 'ack') {
          this.#tracker.acknowledged(frame.index)
          this.#savedMayHaveChanged()
        } else if (frame.type === 'permission-denied') {
          this.#apply({ type: 'read-only', reason: frame.reason || 'The server does not accept changes from you.' })
        } else if (frame.type === 'history') {
          this.#heardHistory(frame.json)
        }
        return true
      }
    }
  }

  // News a newer server words differently is dropped: the panel still lists versions on demand.
  #heardHistory(json: string): void {
    let event: HistoryEvent
    try {
      event = readHistoryEvent(json)
    } catch {
      return
    }
    this.emit('history', [event])
  }

  #savedMayHaveChanged(): void {
    this.#apply({ type: 'saved', saved: this.#tracker.saved })
  }

  #wire(): void {
    const provider = this.provider
    let opened = false
    const onStatus = ({ status }: { status: string }): void => {
      if (status === 'connecting') {
        opened = false
        this.#liveness.connecting(Date.now())
      }
      if (status === 'connected') {
        opened = true
        this.#opens++
        this.#liveness.opened(Date.now())
      }
      if (status === 'connecting') this.#apply({ type: 'connecting' })
    }
    const onSync = (synced: boolean): void => {
      if (!synced) return
      this.#reconnector.succeeded()
      this.#apply({ type: 'synced' })
      if (this.#server.access === 'unknown') void this.serverInfo()
      // Without a token, a connection that syncs is one the server lets write (an open server).
      if (this.#options.token === undefined) this.#apply({ type: 'writable' })
    }
    const onConnectionClose = (event: CloseEvent | null): void => {
      this.#liveness.closed()
      this.#tracker.socketClosed()
      this.#savedMayHaveChanged()
      // Closed by us (destroy, a refusal).
      if (this.#stopped) return
      // A null event is the provider's watchdog giving up on a silent socket (it reconnects by
      // itself), which is as offline as a server going away.
      if (event === null) return this.#apply({ type: 'disconnected' })
      // A permanent close is reported by onClosed, which the provider emits right after this.
      if (closeVerdict(event.code).action === 'stop') return
      // A socket that never opened was refused (a browser cannot see the HTTP status) or the
      // server is unreachable: ask the server which, and only then say so.
      if (!opened) return void this.#explainFailure()
      this.#apply(event.reason === '' ? { type: 'disconnected' } : { type: 'disconnected', reason: event.reason, closeCode: event.code })
    }
    // Emitted for every close from the server, since shouldReconnect always says no.
    const onClosed = ({ code, reason }: { code: number; reason: string }): void => {
      if (this.#stopped) return
      const verdict = closeVerdict(code)
      if (verdict.action === 'retry') return void this.#reconnector.schedule()
      this.#stop()
      this.#apply({ type: 'stopped', connection: verdict.connection, reason: closeReason(code, reason), closeCode: code })
    }
    // Whether a change went out is known only after the provider's own update handler ran.
    let settling = false
    const onUpdate = (_update: Uint8Array, origin: unknown): void => {
      if (origin === provider) return
      this.#tracker.localChange()
      this.#savedMayHaveChanged()
      if (settling) return
      settling = true
      queueMicrotask(() => {
        settling = false
        this.#tracker.settle()
        if (!this.#destroyed) this.#savedMayHaveChanged()
      })
    }
    // Awareness changes with every caret move; hosts only hear when the people change.
    let lastCollaborators = '[]'
    const onAwareness = (): void => {
      const collaborators = this.collaborators()
      const key = JSON.stringify(collaborators)
      if (key === lastCollaborators) return
      lastCollaborators = key
      this.emit('collaborators', [collaborators])
    }
    // Collaborators would otherwise see our caret for 30 s after the tab closes.
    const onPageHide = (): void => removeAwarenessStates(this.awareness, [this.doc.clientID], 'window unload')
    // The browser knows at once when the network goes or comes back; a socket may not for long.
    const onOffline = (): void => {
      if (!this.#stopped && provider.ws !== null) this.#remake(false)
    }
    const onOnline = (): void => {
      if (!this.#stopped && !provider.wsconnected) this.#remake(true)
    }
    const liveness = setInterval(() => this.#checkLiveness(), 1_000)

    provider.on('status', onStatus)
    provider.on('sync', onSync)
    provider.on('connection-close', onConnectionClose)
    provider.on('closed', onClosed)
    this.doc.on('update', onUpdate)
    this.awareness.on('change', onAwareness)
    globalThis.addEventListener?.('pagehide', onPageHide)
    globalThis.addEventListener?.('offline', onOffline)
    globalThis.addEventListener?.('online', onOnline)
    this.#cleanups.push(() => {
      clearInterval(liveness)
      globalThis.removeEventListener?.('offline', onOffline)
      globalThis.removeEventListener?.('online', onOnline)
      provider.off('status', onStatus)
      provider.off('sync', onSync)
      provider.off('connection-close', onConnectionClose)
      provider.off('closed', onClosed)
      this.doc.off('update', onUpdate)
      this.awareness.off('change', onAwareness)
      globalThis.removeEventListener?.('pagehide', onPageHide)
    })
  }

  #checkLiveness(): void {
    if (this.#stopped) return
    const ws = this.provider.ws
    const action = this.#liveness.check(Date.now(), (ws?.bufferedAmount ?? 0) > 0, !this.#tracker.saved)
    if (action === 'probe' && ws?.readyState === 1) ws.send(writeFrame({ type: 'query-awareness' }))
    if (action === 'dead') this.#remake(false)
  }

  /**
   * Give up the current socket (dead, stuck connecting, or the network went) and make a new
   * one: at once when the network just came back, otherwise after the usual backoff. Everything
   * unacknowledged travels again on the next socket, as after any close.
   */
  #remake(now: boolean): void {
    this.provider.disconnect()
    if (now) {
      this.#reconnector.cancel()
      this.provider.connect()
    } else this.#reconnector.schedule()
  }

  // Stop for good; also leaves the cross-tab channel: a stopped editor neither sends nor receives.
  #stop(): void {
    this.#stopped = true
    this.#reconnector.cancel()
    this.provider.disconnect()
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
    if (this.#stopped) return
    if (access.kind === 'refused') {
      this.#stop()
      this.#apply({ type: 'stopped', connection: access.connection, reason: access.reason })
      return
    }
    if (access.kind === 'granted' && access.access === 'read') this.#apply({ type: 'read-only', reason: READ_TOKEN })
    // Write access, or no answer (offline: typing goes on and is sent later).
    else this.#apply({ type: 'writable' })
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
export function openDocument(options: OpenDocumentOptions): OpenDocument {
  return new OpenDocument(options)
}
