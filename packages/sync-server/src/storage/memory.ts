import { sameHead } from './same-head.js'
import { type DocumentStore, HistoryConflictError, type HistoryWrite, type StoredDocument, type StoredHistory } from './store.js'

/** A {@link DocumentStore} in memory: for unit tests of the layers above storage. */
export class MemoryStore implements DocumentStore {
  private readonly docs = new Map<string, { snapshot: Uint8Array | undefined; log: Map<number, Uint8Array> }>()
  private readonly histories = new Map<string, { head: Uint8Array | undefined; versions: Map<number, Uint8Array> }>()
  private closed = false

  private history(name: string) {
    this.entry(name)
    let history = this.histories.get(name)
    if (!history) this.histories.set(name, (history = { head: undefined, versions: new Map() }))
    return history
  }

  private entry(name: string) {
    if (this.closed) throw new Error('store is closed')
    let doc = this.docs.get(name)
    if (!doc) this.docs.set(name, (doc = { snapshot: undefined, log: new Map() }))
    return doc
  }

  async read(name: string): Promise<StoredDocument> {
    const doc = this.entry(name)
    const log = [...doc.log].sort(([a], [b]) => a - b).map(([seq, value]) => ({ seq, value }))
    return { snapshot: doc.snapshot, log }
  }

  async append(name: string, seq: number, value: Uint8Array, _generation?: number): Promise<void> {
    this.entry(name).log.set(seq, value.slice())
  }

  async compact(name: string, snapshot: Uint8Array, throughSeq: number, _generation?: number): Promise<void> {
    const doc = this.entry(name)
    doc.snapshot = snapshot.slice()
    for (const seq of [...doc.log.keys()]) if (seq <= throughSeq) doc.log.delete(seq)
  }

  async size(name: string): Promise<number> {
    const { snapshot, log } = await this.read(name)
    return (snapshot?.length ?? 0) + log.reduce((sum, entry) => sum + entry.value.length, 0)
  }

  async readHistoryHead(name: string): Promise<Uint8Array | undefined> {
    return this.history(name).head
  }

  async readHistory(name: string): Promise<StoredHistory> {
    const history = this.history(name)
    const versions = [...history.versions].sort(([a], [b]) => a - b).map(([id, value]) => ({ id, value }))
    return { head: history.head, versions }
  }

  async writeHistory(name: string, write: HistoryWrite): Promise<void> {
    const history = this.history(name)
    if (!sameHead(write.expect, history.head)) throw new HistoryConflictError(name)
    for (const id of write.delete) history.versions.delete(id)
    for (const { id, value } of write.put) history.versions.set(id, value.slice())
    history.head = write.head.slice()
  }

  async list(options: { prefix: string; after: string | undefined; limit: number }): Promise<string[]> {
    if (this.closed) throw new Error('store is closed')
    const { prefix, after, limit } = options
    return [...this.docs]
      .filter(([name, doc]) => (doc.snapshot || doc.log.size > 0) && name.startsWith(prefix) && (after === undefined || name > after))
      .map(([name]) => name)
      .sort()
      .slice(0, limit)
  }

  async delete(name: string): Promise<void> {
    if (this.closed) throw new Error('store is closed')
    this.docs.delete(name)
    this.histories.delete(name)
  }

  async close(): Promise<void> {
    this.closed = true
  }
}
