/**
 * What a document needs from whoever holds it (the registry, or a test): settings, storage,
 * logs and metrics, where to read itself back, and whom to tell when it idles or fails.
 */
import type { Logger } from 'pino'
import type * as Y from 'yjs'
import type { AdmissionLimits } from '../guard/update-admission.js'
import type { HistorySettings } from '../history/settings.js'
import type { Metrics } from '../metrics.js'
import type { StorageHealth } from '../storage/health.js'
import type { DocumentStore } from '../storage/store.js'
import type { SharedDocument } from './document.js'
import type { HoldLimits } from './held-frames.js'
import type { LoadedDocument } from './load.js'
import type { PresenceLimits } from './presence.js'

/** Settings a document needs. */
export interface DocumentSettings extends PresenceLimits, HoldLimits, AdmissionLimits, HistorySettings {
  /**
   * Compact once this many log entries follow the snapshot, or once the log holds as many bytes
   * as the snapshot (at least 64 KiB): loading then reads at most about twice the document, and
   * compaction work stays proportional to what is written.
   */
  compactEvery: number
  /** A document unchanged for this long drops its Y.Doc until the next change. */
  releaseAfterMs: number
}

/** Reads a document from storage: the registry's, so that one place loads documents. */
export interface DocumentReader {
  /** The stored state as one update; rejects as {@link loadState} does. */
  state(name: string): Promise<LoadedDocument & { state: { update: Uint8Array; vector: Uint8Array } }>
  /** The stored state as a Y.Doc; rejects as {@link loadDocument} does. */
  ydoc(name: string): Promise<LoadedDocument & { ydoc: Y.Doc }>
  /** A Y.Doc built from a state read earlier; throws as {@link buildDoc} does. */
  build(name: string, update: Uint8Array): Y.Doc
}

/** How a document reports to whoever holds it. */
export interface DocumentContext {
  store: DocumentStore
  settings: DocumentSettings
  log: Logger
  metrics: Metrics
  /** Where a dormant document reads itself back. */
  read: DocumentReader
  /** The last peer left. */
  onIdle(doc: SharedDocument): void
  /** A write (or a wake's read) failed: memory no longer matches storage, so the document must go; its peers get `code`. */
  onFailed(doc: SharedDocument, code: number, reason: string): void
  /** Whether storage writes are succeeding, for readiness. */
  health: StorageHealth
}
