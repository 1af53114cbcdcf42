/**
 * W6 storage: a prefix of the automerge-paper trace typed as separate updates (one per trace
 * edit, deletions included); the server stopped, restarted, the document loaded once by a fresh
 * client (the classic server compacts on load), the server stopped again (Quire compacts on
 * unload and shutdown). Then every key and value in its LevelDB folder is summed and compared
 * with Y.encodeStateAsUpdate of the same document.
 */
import { rmSync } from 'node:fs'
import { textAfter, waitFor } from '@quire/testkit'
import { ClassicLevel } from 'classic-level'
import * as Y from 'yjs'
import { connectProvider } from '../providers.js'
import { ServerProcess, type ServerSpec } from '../servers.js'
import { ROOT } from '../updates.js'
import { sleep } from '../util.js'
import { clockAfter, WireClient } from '../wire.js'
import { clientId, type RunContext } from './common.js'

const WRITER = clientId(0)
const DOC = 'w6-trace'

export async function runW6(spec: ServerSpec, ctx: RunContext): Promise<void> {
  const txns = Math.min(ctx.trace.txns.length, ctx.config.w6.txns)
  const caseName = `${txns.toLocaleString('en-US')} trace edits`
  let server = await ServerProcess.start(spec)
  try {
    const ydoc = new Y.Doc()
    ydoc.clientID = WRITER
    const ytext = ydoc.getText(ROOT)
    let seen = 0
    let pump = () => {}
    const watcher = new WireClient({
      baseUrl: server.baseUrl,
      doc: DOC,
      dialect: spec.dialect,
      keepUpdates: true,
      onUpdate: (update) => {
        seen = Math.max(seen, clockAfter(update, WRITER))
        pump()
      }
    })
    const writer = new WireClient({ baseUrl: server.baseUrl, doc: DOC, dialect: spec.dialect, ydoc })
    ydoc.on('update', (update: Uint8Array) => writer.sendUpdate(update))
    await Promise.all([watcher.opened, writer.opened])
    await waitFor(() => watcher.synced && writer.synced, 'W6 clients to sync', 30_000)
    let next = 0
    await new Promise<void>((resolve) => {
      pump = () => {
        while (next < txns && Y.getState(ydoc.store, WRITER) - seen < 500) {
          ydoc.transact(() => {
            for (const [pos, del, ins] of ctx.trace.txns[next]!.patches) {
              if (del > 0) ytext.delete(pos, del)
              if (ins.length > 0) ytext.insert(pos, ins)
            }
          })
          next++
        }
        if (next >= txns && seen >= Y.getState(ydoc.store, WRITER)) resolve()
      }
      pump()
    })
    const expected = ytext.toString()
    await waitFor(() => watcher.text() === expected, 'the watcher to hold the whole document', 30_000, 250)
    writer.close()
    watcher.close()
    await server.quiesce()
    await server.stop()

    server = await ServerProcess.start(spec, { dataDir: server.dataDir, port: server.port })
    const reader = connectProvider(server.baseUrl, spec.dialect, DOC)
    let loaded = true
    try {
      await waitFor(() => reader.isSynced() && reader.text.toString() === expected, 'a fresh client to load the document', 60_000, 20)
    } catch {
      loaded = false
    }
    reader.destroy()
    await sleep(300)
    await server.quiesce()
    await server.stop()

    const stored = await storedBytes(server.dataDir)
    const state = Y.encodeStateAsUpdate(ydoc).length
    ctx.rec.measure(caseName, 'stored bytes', 'B', 'lower', stored)
    ctx.rec.measure(caseName, 'Y.encodeStateAsUpdate bytes', 'B', 'none', state)
    ctx.rec.measure(caseName, 'stored / encodeStateAsUpdate', 'x', 'lower', stored / state)
    ctx.rec.check(
      `W6 ${caseName}: the stored document reloads equal to the writer's (${expected.length} chars)`,
      loaded && expected === textAfter(ctx.trace, txns)
    )
    ydoc.destroy()
  } finally {
    await server.stop()
    rmSync(server.dataDir, { recursive: true, force: true })
  }
}

/** Every key and value byte in a LevelDB folder (one document per folder here). */
async function storedBytes(folder: string): Promise<number> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(folder, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false })
  await db.open()
  let total = 0
  for await (const [key, value] of db.iterator()) total += key.length + value.length
  await db.close()
  return total
}
