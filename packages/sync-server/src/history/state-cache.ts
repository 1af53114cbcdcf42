/**
 * Recently built version states, so that opening a version replays only the versions after the
 * nearest one cached (HS7): scrubbing a timeline opens neighbours, and the second open of a
 * version costs one update. Bounded in bytes for the whole server; least recently used go first.
 */

/** A cache of encoded Yjs states by key. */
export class StateCache {
  private readonly entries = new Map<string, Uint8Array>()
  private bytes = 0

  constructor(private readonly maxBytes: number) {}

  /** The cached state under `key`, marked as just used. */
  get(key: string): Uint8Array | undefined {
    const state = this.entries.get(key)
    if (state) {
      this.entries.delete(key)
      this.entries.set(key, state)
    }
    return state
  }

  /** Keep `state` under `key`, dropping the least recently used past the bound. */
  set(key: string, state: Uint8Array): void {
    if (state.length > this.maxBytes) return
    const old = this.entries.get(key)
    if (old) {
      this.bytes -= old.length
      this.entries.delete(key)
    }
    this.entries.set(key, state)
    this.bytes += state.length
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(oldest)
      this.bytes -= value.length
    }
  }
}
