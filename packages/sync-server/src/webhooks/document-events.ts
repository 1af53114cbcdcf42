/**
 * The seam through which the document layer and the HTTP routes report what happened to
 * documents, and its webhook implementation. `changed` is coalesced per document: the first
 * change starts a window of `debounceMs`, and when it ends one event carries the latest size and
 * everyone who changed the document meanwhile. A window, not a quiet period, so that a document
 * typed into without pause is still reported every `debounceMs`.
 */
import type { Author, WebhookEvent } from './event.js'
import { makeEvent } from './event.js'

/** What happened to documents; every method returns at once. */
export interface DocumentEvents {
  /** A document that had nothing stored has stored its first change. */
  created(name: string, size: number, authors: readonly Author[]): void
  /** A change to `name` is stored; it now stores `size` bytes. */
  changed(name: string, size: number, authors: readonly Author[]): void
  /** `name` was deleted (the HTTP API's delete route reports it). */
  deleted(name: string): void
  /** Report every coalesced change now (clean shutdown). */
  flush(): void
}

// One event names at most this many authors: a window is short, but a crowd could fill it.
const MAX_AUTHORS = 100

interface Window {
  size: number
  authors: Map<string, Author>
  timer: NodeJS.Timeout
}

/** {@link DocumentEvents} that become webhook events, handed to `send`. */
export class WebhookEvents implements DocumentEvents {
  private readonly windows = new Map<string, Window>()

  constructor(
    private readonly send: (event: WebhookEvent) => void,
    private readonly debounceMs: number
  ) {}

  created(name: string, size: number, authors: readonly Author[]): void {
    this.send(makeEvent('document.created', name, { size, users: [...authors] }))
  }

  changed(name: string, size: number, authors: readonly Author[]): void {
    let window = this.windows.get(name)
    if (!window) {
      const timer = setTimeout(() => this.emit(name), this.debounceMs)
      timer.unref()
      window = { size, authors: new Map(), timer }
      this.windows.set(name, window)
    }
    window.size = size
    for (const author of authors) {
      if (window.authors.size >= MAX_AUTHORS) break
      window.authors.set(`${author.verified}:${author.name}`, author)
    }
  }

  deleted(name: string): void {
    // What changed before the deletion is reported first, so events keep their order.
    this.emit(name)
    this.send(makeEvent('document.deleted', name))
  }

  flush(): void {
    for (const name of [...this.windows.keys()]) this.emit(name)
  }

  private emit(name: string): void {
    const window = this.windows.get(name)
    if (!window) return
    this.windows.delete(name)
    clearTimeout(window.timer)
    this.send(makeEvent('document.changed', name, { size: window.size, users: [...window.authors.values()] }))
  }
}
