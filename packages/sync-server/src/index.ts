export { defaultSettings, type ServerSettings } from './config.js'
/** History internals for tools and the benchmark (bench/src/history-cost.ts): how versions are cut, stored and opened. */
export { cutVersion, EMPTY_BASE, type VersionBase } from './history/delta.js'
export { HistoryReader } from './history/versions.js'
export { createServer, ListenError, type QuireServer, type ServerOptions } from './server.js'
export { writeHeadRecord, writeVersionRecord } from './storage/history-records.js'
export { LevelStore, StoreOpenError } from './storage/leveldb.js'
export { MemoryStore } from './storage/memory.js'
export type { DocumentStore, StoredDocument } from './storage/store.js'
