/**
 * A rehearsal of a client's first visit, run once before the server listens. A fresh Node process
 * runs each function cold the first time (compiled lazily, no inline caches; the WebSocket
 * handshake's hashing and Y.Doc's first id load parts of Node's crypto lazily), which made the first
 * client after a restart wait ~9 ms longer than the next one (measured with --cpu-prof). The
 * rehearsal runs the same path for real, through a throwaway HTTP server on a loopback port, a
 * WebSocket, a session and a document in memory (a writer, then a reader after it is stored and
 * unloaded), so the first real client meets warm code. What it
 * adds to start-up is part of the logged `startupMs`; it leaves no data and no metrics behind.
 */
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CloseCode, readFrame, writeFrame } from '@quire/protocol'
import type { Logger } from 'pino'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { ServerSettings } from './config.js'
import { Gate } from './connection/admission.js'
import { sessionHandlers } from './connection/handlers.js'
import { DocumentRegistry } from './documents/registry.js'
import type { Metrics } from './metrics.js'
import { MemoryStore } from './storage/memory.js'
import { attachTransport, rehearseClient } from './transport/ws.js'

const REHEARSAL = 'quire-start-up-rehearsal'

/** Rehearse one client's visit end to end; never throws (a failure is logged at debug level). */
export async function warmUp(settings: ServerSettings, log: Logger, metrics: Metrics): Promise<void> {
  const quiet = log.child({}, { level: 'silent' })
  const registry = new DocumentRegistry(new MemoryStore(), settings, quiet, metrics)
  const http = createHttpServer()
  // Open admission whatever the real server requires: the rehearsal has no token to show.
  const gate = new Gate({ ...settings, authSecret: undefined })
  const transport = attachTransport(http, { ...settings, log: quiet, metrics }, sessionHandlers(gate, { registry, log: quiet, metrics, ...settings }))
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject)
      http.listen(0, '127.0.0.1', resolve)
    })
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/${REHEARSAL}?ext=ack`
    const { frames, lastUpdate } = visit()
    await rehearseClient(url, frames, (bytes) => {
      const frame = readFrame(bytes)
      return frame.type === 'ack' && frame.index === lastUpdate
    })
    // Then what a restart looks like: the document stored and unloaded, a fresh reader loading it.
    await registry.closeAll()
    const reader = [writeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) })]
    await rehearseClient(url, reader, (bytes) => readFrame(bytes).type === 'sync-step2')
  } catch (error) {
    log.debug({ err: error }, 'start-up rehearsal failed; the first client meets cold code')
  } finally {
    await transport.closeAll(CloseCode.GoingAway, 'rehearsal over')
    await new Promise((resolve) => http.close(resolve))
    await registry.closeAll()
    metrics.registry.resetMetrics()
  }
}

// What a fresh editor sends: sync step 1 and 2, presence, a few keystrokes, a presence query.
function visit(): { frames: Uint8Array[]; lastUpdate: number } {
  const client = new Y.Doc()
  const presence = new awarenessProtocol.Awareness(client)
  presence.setLocalState({ user: { name: 'rehearsal' }, cursor: null })
  const text = client.getText('codemirror')
  const frames = [
    writeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(client) }),
    writeFrame({ type: 'sync-step2', update: Y.encodeStateAsUpdate(client) }),
    writeFrame({ type: 'awareness', update: awarenessProtocol.encodeAwarenessUpdate(presence, [client.clientID]) })
  ]
  const updates: Uint8Array[] = []
  client.on('update', (update: Uint8Array) => updates.push(update))
  for (const chunk of ['warm', ' ', 'up']) text.insert(text.length, chunk)
  for (const update of updates) frames.push(writeFrame({ type: 'sync-update', update }))
  const lastUpdate = frames.length
  frames.push(writeFrame({ type: 'query-awareness' }))
  presence.destroy()
  client.destroy()
  return { frames, lastUpdate }
}
