import type { DocumentStore, HistoryWrite, StoredDocument, StoredHistory } from '../../src/storage/store.js'

/**
 * A store that hands every call to `inner`: tests that stall, gate or break some operations
 * extend it and override only those, so a method added to the storage contract is forwarded
 * in one place.
 */
export class StoreWrapper implements DocumentStore {
  constructor(protected readonly inner: DocumentStore) {}
  read(name: string): Promise<StoredDocument> {
    return this.inner.read(name)
  }
  append(name: string, seq: number, value: Uint8Array): Promise<void> {
    return this.inner.append(name, seq, value)
  }
  compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    return this.inner.compact(name, snapshot, throughSeq)
  }
  size(name: string): Promise<number> {
    return this.inner.size(name)
  }
  readHistoryHead(name: string): Promise<Uint8Array | undefined> {
    return this.inner.readHistoryHead(name)
  }
  readHistory(name: string): Promise<StoredHistory> {
    return this.inner.readHistory(name)
  }
  writeHistory(name: string, write: HistoryWrite): Promise<void> {
    return this.inner.writeHistory(name, write)
  }
  list(options: Parameters<DocumentStore['list']>[0]): Promise<string[]> {
    return this.inner.list(options)
  }
  delete(name: string): Promise<void> {
    return this.inner.delete(name)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}
