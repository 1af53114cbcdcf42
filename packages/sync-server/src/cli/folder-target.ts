/**
 * The document commands on a data folder no server holds: the folder is opened as the server
 * opens it (LevelDB's lock refuses a folder a running server holds, and the command says to use
 * --url instead), and documents are read and changed through the same registry and guards.
 */
import { existsSync, statSync } from 'node:fs'
import { pino } from 'pino'
import { defaultSettings } from '../config.js'
import { DocumentRegistry } from '../documents/registry.js'
import type { ChangeAuthor } from '../documents/server-change.js'
import { textOfUpdate } from '../documents/text-field.js'
import { createMetrics } from '../metrics.js'
import { LevelStore, StoreOpenError } from '../storage/leveldb.js'
import { CliError, type DocumentTarget } from './document-target.js'

/** Open the data folder `dir` as a {@link DocumentTarget}; `create` allows a folder that does not exist yet. */
export async function folderTarget(dir: string, options: { create: boolean; author: ChangeAuthor }): Promise<DocumentTarget> {
  if (!existsSync(dir)) {
    if (!options.create) throw new CliError(`data folder ${dir} does not exist`)
  } else if (!statSync(dir).isDirectory()) throw new CliError(`--data ${dir} exists and is not a folder`, 2)
  let store: LevelStore
  try {
    store = await LevelStore.open(dir, { sync: true })
  } catch (error) {
    if (!(error instanceof StoreOpenError)) throw error
    const locked = /in use by another process/.test(error.message)
    throw new CliError(locked ? `${error.message}: a server holds it; use --url with that server instead` : error.message)
  }
  const registry = new DocumentRegistry(store, { ...defaultSettings, unloadGraceMs: 60_000 }, pino({ level: 'silent' }), createMetrics())
  const stored = async (name: string) => {
    const facts = await registry.facts(name)
    if (facts.bytes === 0) throw new CliError(`document "${name}" has nothing stored in ${dir}`)
  }
  return {
    async *list(prefix) {
      let after: string | undefined
      for (;;) {
        const names = await registry.list({ prefix, after, limit: 1000 })
        for (const name of names) {
          const facts = await registry.facts(name)
          yield { name, bytes: facts.bytes, changedAt: facts.changedAt === undefined ? null : new Date(facts.changedAt).toISOString(), clients: 0 }
        }
        if (names.length < 1000) return
        after = names[names.length - 1]
      }
    },
    async read(name, format) {
      await stored(name)
      const { update } = await registry.withDocument(name, (doc) => doc.readState())
      return format === 'yjs' ? update : new TextEncoder().encode(textOfUpdate(update))
    },
    async write(name, body, format) {
      if (format === 'yjs') return registry.applyUpdate(name, body, options.author, 'import')
      return registry.replaceText(name, new TextDecoder().decode(body), options.author, 'import')
    },
    async remove(name) {
      if (!(await registry.delete(name))) throw new CliError(`document "${name}" has nothing stored in ${dir}`)
    },
    async close() {
      await registry.closeAll()
      await store.close()
    }
  }
}
