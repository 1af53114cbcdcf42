/**
 * Hocuspocus 4 with @hocuspocus/extension-database storing each document's state into a
 * classic-level folder, with the server's default debounce (2 s, at most 10 s).
 * Usage: node hocuspocus.js PORT DATA_DIR. SIGTERM stores pending documents and exits.
 */
import { Database } from '@hocuspocus/extension-database'
import { Server } from '@hocuspocus/server'
import { ClassicLevel } from 'classic-level'

const [port, dataDir] = [Number(process.argv[2]), process.argv[3]!]
const db = new ClassicLevel<string, Uint8Array>(dataDir, { keyEncoding: 'utf8', valueEncoding: 'view' })
await db.open()

const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  stopOnSignals: false,
  extensions: [
    new Database({
      fetch: async ({ documentName }) => (await db.get(documentName)) ?? null,
      store: async ({ documentName, state }) => {
        await db.put(documentName, state)
      }
    })
  ]
})
await server.listen()

let stopping = false
process.on('SIGTERM', () => {
  if (stopping) return
  stopping = true
  void server
    .destroy()
    .then(() => db.close())
    .then(() => process.exit(0))
})
