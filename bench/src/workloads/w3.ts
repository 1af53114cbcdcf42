/**
 * W3 cold load: a document typed as N separate one-character updates through the server, the
 * server stopped (SIGTERM, as operators restart) and its data folder kept as it left it. Each
 * round starts the server on a fresh copy of that folder and times a fresh client (the official
 * provider) from connect until it holds the complete document. Servers that report "synced"
 * before their storage has loaded (the classic server does) are timed to the complete text.
 */
import { cpSync, rmSync } from 'node:fs'
import { waitFor } from '@quire/testkit'
import { connectProvider } from '../providers.js'
import { ServerProcess, type ServerSpec, tempDir } from '../servers.js'
import { clientId, type RunContext, typeDocument, typedText } from './common.js'

const DOC = 'w3-cold'

/** Build, once per server and size, the data folder every round restarts from. */
export async function prepareW3(spec: ServerSpec, ctx: RunContext): Promise<Map<number, string>> {
  const folders = new Map<number, string>()
  for (const size of ctx.config.w3.sizes) {
    const server = await ServerProcess.start(spec)
    const started = performance.now()
    const watcher = await typeDocument({
      baseUrl: server.baseUrl,
      dialect: spec.dialect,
      doc: DOC,
      typist: clientId(0),
      updates: size,
      charsPerUpdate: 1,
      window: 500,
      synced: true
    })
    watcher.close()
    await server.quiesce()
    ctx.rec.measure(`${size.toLocaleString('en-US')} updates`, 'setup: typing them in', 's', 'none', (performance.now() - started) / 1000)
    await server.stop()
    folders.set(size, server.dataDir)
  }
  return folders
}

export async function runW3(spec: ServerSpec, ctx: RunContext, folders: Map<number, string>): Promise<void> {
  for (const size of ctx.config.w3.sizes) {
    const caseName = `${size.toLocaleString('en-US')} updates`
    const dataDir = tempDir(`${spec.name}-w3`)
    cpSync(folders.get(size)!, dataDir, { recursive: true })
    const server = await ServerProcess.start(spec, { dataDir })
    const connectAt = performance.now()
    const client = connectProvider(server.baseUrl, spec.dialect, DOC)
    let complete = true
    try {
      await waitFor(() => client.text.length >= size && client.isSynced(), `a fresh client to load ${size} updates`, 120_000, 1)
    } catch {
      complete = false
    }
    const loadedAt = performance.now()
    const right = client.text.toString() === typedText(size)
    ctx.rec.measure(caseName, 'connect to synced', 'ms', 'lower', complete ? loadedAt - connectAt : Number.NaN)
    ctx.rec.measure(caseName, 'process start to listening', 'ms', 'lower', server.listeningAt - server.spawnedAt)
    ctx.rec.check(`W3 ${caseName}: a fresh client after restart holds the whole document`, complete && right)
    client.destroy()
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export function cleanupW3(folders: Map<number, string>): void {
  for (const folder of folders.values()) rmSync(folder, { recursive: true, force: true })
}
