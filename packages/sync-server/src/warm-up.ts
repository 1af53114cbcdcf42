/**
 * A rehearsal of a client's first visit, run once before the server listens. A fresh Node process
 * runs each function cold the first time (compiled lazily, no inline caches, and Y.Doc's first id
 * loads Node's crypto module), which made the first client after a restart wait ~9 ms longer than
 * the next one (measured with --cpu-prof). Paying that before listening means the first real
 * client meets warm code; the start-up time it adds is logged as part of `startupMs`.
 */
import { writeFrame } from '@quire/protocol'
import type { Logger } from 'pino'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { ServerSettings } from './config.js'
import { Session } from './connection/session.js'
import type { Peer } from './documents/peer.js'
import { DocumentRegistry } from './documents/registry.js'
import type { Metrics } from './metrics.js'
import { MemoryStore } from './storage/memory.js'

// Not a valid document name (N2 forbids spaces), so no client can ever have stored it.
const REHEARSAL = 'warm up'

/**
 * Walk one client's first visit through the document layer against a throwaway in-memory store.
 * Leaves no data behind and resets the metrics it touched.
 */
export async function warmUp(settings: ServerSettings, log: Logger, metrics: Metrics): Promise<void> {
  const quiet = log.child({}, { level: 'silent' })
  const registry = new DocumentRegistry(new MemoryStore(), settings, quiet, metrics)
  const peer: Peer = { id: 'warm-up', extensions: new Set(['ack']), access: 'write', user: undefined, send() {}, close() {} }
  const session = new Session(peer, REHEARSAL, { registry, log: quiet, metrics, ...settings })

  const client = new Y.Doc()
  const presence = new awarenessProtocol.Awareness(client)
  presence.setLocalState({ user: { name: 'warm-up' }, cursor: null })
  const text = client.getText('codemirror')
  session.receive(writeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(client) }))
  session.receive(writeFrame({ type: 'sync-step2', update: new Uint8Array([0, 0]) }))
  session.receive(writeFrame({ type: 'awareness', update: awarenessProtocol.encodeAwarenessUpdate(presence, [client.clientID]) }))
  for (const chunk of ['warm', ' ', 'up']) {
    const update = captureUpdate(client, () => text.insert(text.length, chunk))
    session.receive(writeFrame({ type: 'sync-update', update }))
  }
  session.receive(writeFrame({ type: 'query-awareness' }))
  await (await registry.open(REHEARSAL)).settled()
  session.closed()
  await registry.closeAll()
  presence.destroy()
  client.destroy()
  metrics.registry.resetMetrics()
}

function captureUpdate(doc: Y.Doc, change: () => void): Uint8Array {
  let captured: Uint8Array = new Uint8Array()
  const listener = (update: Uint8Array) => (captured = update)
  doc.on('update', listener)
  change()
  doc.off('update', listener)
  return captured
}
