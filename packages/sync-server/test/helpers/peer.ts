/**
 * Drive the document layer without sockets: a Peer that records what it is sent, and stores
 * that wrap a real one to delay or fail writes on demand.
 */
import { type ExtensionName, type Frame, readFrame } from '@quire/protocol'
import { pino } from 'pino'
import { defaultSettings } from '../../src/config.js'
import type { DocumentContext, DocumentSettings } from '../../src/documents/context.js'
import { buildDoc, loadDocument, loadState } from '../../src/documents/load.js'
import type { Peer } from '../../src/documents/peer.js'
import { createMetrics } from '../../src/metrics.js'
import { StorageHealth } from '../../src/storage/health.js'
import type { DocumentStore } from '../../src/storage/store.js'
import { StoreWrapper } from './store-wrapper.js'

/** A peer that keeps every frame it is sent. */
export class RecordingPeer implements Peer {
  readonly frames: Frame[] = []
  closedWith: { code: number; reason: string } | undefined
  constructor(
    readonly id: string,
    readonly extensions: ReadonlySet<ExtensionName> = new Set(),
    readonly access: 'read' | 'write' = 'write',
    readonly user: string | undefined = undefined
  ) {}
  send(bytes: Uint8Array, sent?: () => void): void {
    this.frames.push(readFrame(bytes))
    sent?.()
  }
  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason }
  }
  of<T extends Frame['type']>(type: T): Array<Extract<Frame, { type: T }>> {
    return this.frames.filter((frame): frame is Extract<Frame, { type: T }> => frame.type === type)
  }
}

/** A store whose appends wait until released (or fail), to observe ordering. */
export class GatedStore extends StoreWrapper {
  private gates: Array<{ release: () => void; fail: (error: Error) => void }> = []
  get waiting(): number {
    return this.gates.length
  }
  releaseAll(): void {
    for (const gate of this.gates.splice(0)) gate.release()
  }
  failAll(error: Error): void {
    for (const gate of this.gates.splice(0)) gate.fail(error)
  }
  override async append(name: string, seq: number, value: Uint8Array) {
    await new Promise<void>((resolve, reject) => this.gates.push({ release: resolve, fail: reject }))
    return this.inner.append(name, seq, value)
  }
}

// One logger for every context: each pino logger on stdout registers an exit handler.
const silent = pino({ level: 'silent' })

/** A document context over `store` with silent logs; records idle and failure callbacks. */
export function documentContext(store: DocumentStore, compactEvery = 1000, settings: Partial<DocumentSettings> = {}) {
  const events = { idle: 0, failed: [] as Array<{ code: number; reason: string }> }
  const ctx: DocumentContext = {
    store,
    settings: { ...defaultSettings, compactEvery, ...settings },
    log: silent,
    metrics: createMetrics(),
    read: {
      state: (name) => loadState(store, name),
      ydoc: (name) => loadDocument(store, name),
      build: buildDoc
    },
    onIdle: () => void events.idle++,
    onFailed: (_doc, code, reason) => void events.failed.push({ code, reason }),
    health: new StorageHealth()
  }
  return { ctx, events }
}
