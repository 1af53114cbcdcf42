/**
 * Stock y-websocket clients, as any app would use them, for driving the server in tests.
 */

import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { waitFor } from './wait.js'

// In Node, each WebsocketProvider adds a process 'exit' listener (removed on destroy); tests run
// dozens at once, which is not the leak Node's warning suspects.
process.setMaxListeners(Math.max(process.getMaxListeners(), 200))

/** A y-websocket client of one document. */
export interface Client {
  doc: Y.Doc
  text: Y.Text
  provider: WebsocketProvider
  /** Resolves once the provider has synced with the server. */
  synced(): Promise<void>
  destroy(): void
}

/** Connect a stock WebsocketProvider to `name` (BroadcastChannel off, so only the server relays). */
export function connect(wsUrl: string, name: string, options: { doc?: Y.Doc; params?: Record<string, string> } = {}): Client {
  const doc = options.doc ?? new Y.Doc()
  const provider = new WebsocketProvider(wsUrl, name, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    params: options.params ?? {},
    maxBackoffTime: 500
  })
  return {
    doc,
    text: doc.getText('codemirror'),
    provider,
    synced: () => waitFor(() => provider.synced, `client of "${name}" to sync`),
    destroy() {
      provider.destroy()
      doc.destroy()
    }
  }
}

/** Wait until every client's text is `expected` (or, with no `expected`, all are equal). */
export async function waitConverged(clients: Client[], expected?: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    () => {
      const target = expected ?? clients[0]!.text.toString()
      return clients.every((client) => client.text.toString() === target)
    },
    `${clients.length} clients to converge`,
    timeoutMs
  )
}
