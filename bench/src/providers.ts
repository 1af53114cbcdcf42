/**
 * The official clients, as apps use them: y-websocket's WebsocketProvider for the y-websocket
 * protocol servers and @hocuspocus/provider's HocuspocusProvider for Hocuspocus. Both get the
 * same short reconnect policy (100 ms, then every 250 ms at most, no jitter) so that reconnect
 * timings compare servers, not client back-off defaults (2.5 s and 30 s with jitter).
 */
import { HocuspocusProvider } from '@hocuspocus/provider'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { ROOT } from './updates.js'
import { nextClientAddress } from './util.js'
import type { Dialect } from './wire.js'

/** ws without permessage-deflate, as every server here is measured uncompressed; each from its own address. */
class PlainWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false, localAddress: nextClientAddress() })
  }
}

export const MAX_BACKOFF_MS = 250

export interface ProviderClient {
  doc: Y.Doc
  text: Y.Text
  /** Synced with the server now (after a reconnect: synced again). */
  isSynced(): boolean
  /** Connected now. */
  isConnected(): boolean
  destroy(): void
}

/** Connect an official provider for `dialect` to document `name`. */
export function connectProvider(baseUrl: string, dialect: Dialect, name: string, doc = new Y.Doc()): ProviderClient {
  if (dialect === 'y') {
    const provider = new WebsocketProvider(baseUrl, name, doc, {
      WebSocketPolyfill: PlainWebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      maxBackoffTime: MAX_BACKOFF_MS
    })
    return {
      doc,
      text: doc.getText(ROOT),
      isSynced: () => provider.synced && provider.wsconnected,
      isConnected: () => provider.wsconnected,
      destroy() {
        provider.destroy()
        doc.destroy()
      }
    }
  }
  const provider = new HocuspocusProvider({
    url: baseUrl,
    name,
    document: doc,
    WebSocketPolyfill: PlainWebSocket,
    delay: 100,
    initialDelay: 0,
    minDelay: 100,
    maxDelay: MAX_BACKOFF_MS,
    factor: 2,
    jitter: false
  } as ConstructorParameters<typeof HocuspocusProvider>[0])
  let connected = false
  provider.on('status', ({ status }: { status: string }) => (connected = status === 'connected'))
  return {
    doc,
    text: doc.getText(ROOT),
    isSynced: () => provider.isSynced && connected,
    isConnected: () => connected,
    destroy() {
      provider.destroy()
      doc.destroy()
    }
  }
}
