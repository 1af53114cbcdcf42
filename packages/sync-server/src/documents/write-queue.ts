/**
 * Group commit for one document: items pushed in one event-loop turn (and while the previous
 * write is in flight) are written together, in order, one write at a time. Callbacks registered
 * with `whenDurable` run, in registration order, once everything pushed before them is written.
 * After a failed write the queue stays failed: its document's memory no longer matches storage.
 */

type Callback = (error?: Error) => void

interface Batch<T> {
  items: T[]
  callbacks: Callback[]
}

/** A per-document queue of writes with group commit; `write` stores one batch. */
export class WriteQueue<T> {
  private next: Batch<T> | undefined
  private inFlight: Batch<T> | undefined
  private scheduled = false
  private failure: Error | undefined

  constructor(private readonly write: (items: T[]) => Promise<void>) {}

  /** Items waiting or being written. */
  get pending(): number {
    return (this.next?.items.length ?? 0) + (this.inFlight?.items.length ?? 0)
  }

  /** Queue an item for the next batch. */
  push(item: T): void {
    this.collecting().items.push(item)
    this.schedule()
  }

  /**
   * Run `callback` once everything pushed so far is written (at once if nothing is pending),
   * or with the error if a write failed.
   */
  whenDurable(callback: Callback): void {
    if (this.failure) return callback(this.failure)
    const last = this.next ?? this.inFlight
    if (last) last.callbacks.push(callback)
    else callback()
  }

  /** Resolves once everything pushed so far is written; rejects if a write failed. */
  flushed(): Promise<void> {
    return new Promise((resolve, reject) => this.whenDurable((error) => (error ? reject(error) : resolve())))
  }

  private collecting(): Batch<T> {
    return (this.next ??= { items: [], callbacks: [] })
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.failure) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      void this.run()
    })
  }

  private async run(): Promise<void> {
    const batch = this.next
    if (!batch || this.inFlight || this.failure) return
    this.next = undefined
    this.inFlight = batch
    try {
      if (batch.items.length > 0) await this.write(batch.items)
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error))
    }
    this.inFlight = undefined
    for (const callback of batch.callbacks) callback(this.failure)
    if (this.failure) {
      const rest = this.next as Batch<T> | undefined
      this.next = undefined
      for (const callback of rest?.callbacks ?? []) callback(this.failure)
    } else if (this.next) {
      void this.run()
    }
  }
}
