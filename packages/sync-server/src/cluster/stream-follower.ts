/**
 * One document's reading of its shared log (CL3, CL4): a doorbell says "something is new", and
 * what is new is read from the stream, from the last seq the document has, in seq order. A
 * doorbell that carries the very next entry (a small one, of the copy's generation) saves that
 * read; any other (a gap, a larger entry) reads. A lost, late or repeated doorbell therefore costs
 * at most a read, never an update. One read at a time; doorbells that ring meanwhile make it read
 * once more.
 */
import type { Logger } from 'pino'
import type { RemoteFollow, RemoteTarget } from '../documents/remote.js'
import type { ChannelMessage, RedisStore } from '../storage/redis.js'

/** Counts of entries applied, by how they came (shared by every follower of an instance). */
export interface Arrivals {
  carried: { inc(): void }
  read: { inc(): void }
}

/** Follows one document's stream for the document in memory. */
export class StreamFollower implements RemoteFollow {
  private target: RemoteTarget | undefined
  // Something may be new since the last read.
  private rung = false
  private reading: Promise<void> | undefined
  private stopped = false

  constructor(
    readonly name: string,
    private readonly store: RedisStore,
    private readonly log: Logger,
    private readonly arrivals: Arrivals,
    private readonly stopped_: (follower: StreamFollower) => void
  ) {}

  start(target: RemoteTarget): void {
    this.target = target
    if (this.rung) void this.readInBackground()
  }

  catchUp(): Promise<void> {
    this.rung = true
    return this.readAll()
  }

  async readOnce(): Promise<void> {
    // Reads may overlap with the doorbells' reads: each delivers only what is past applied(), in order.
    if (this.target && !this.stopped) await this.deliverStored(this.target)
  }

  presence(update: Uint8Array): void {
    this.store.publishPresence(this.name, update).catch((error: unknown) => this.log.debug({ doc: this.name, err: error }, 'presence not passed on'))
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.stopped_(this)
  }

  /** A message on the document's channel. */
  heard(message: ChannelMessage): void {
    if (this.stopped) return
    if (message.kind === 'presence') {
      if (message.instance !== this.store.instance) this.target?.presence(message.update)
      return
    }
    if (message.kind === 'deleted') {
      if (this.target && message.generation > this.target.generation()) this.target.deleted()
      return
    }
    // Our own appends are known from their replies.
    if (message.instance === this.store.instance) return
    const target = this.target
    if (target && message.seq <= target.applied()) return
    // The very next entry, carried by its doorbell, of the copy's generation: applied without a
    // read. A read under way skips it when it comes back (deliveries go by seq).
    const carried = message.carried
    if (target && carried && message.seq === target.applied() + 1 && carried.generation === target.generation()) {
      this.arrivals.carried.inc()
      return target.entry(message.seq, carried.value, false)
    }
    this.rung = true
    if (this.target) void this.readInBackground()
  }

  /**
   * Read whatever is new whether or not a doorbell rang (after a reconnect, or when `storedSeq`
   * differs from what the document has: more is stored, or less, as after a deletion).
   */
  check(storedSeq?: number): void {
    if (this.stopped || !this.target) return
    if (storedSeq !== undefined && storedSeq === this.target.applied()) return
    this.rung = true
    void this.readInBackground()
  }

  // A failed read stays rung: the next doorbell, reconnect or check reads again.
  private readInBackground(): Promise<void> {
    return this.readAll().catch((error: unknown) => {
      this.rung = true
      this.log.warn({ doc: this.name, err: error }, 'reading the shared log failed; will read again')
    })
  }

  private readAll(): Promise<void> {
    this.reading ??= (async () => {
      try {
        while (this.rung && !this.stopped && this.target) {
          this.rung = false
          await this.deliverStored(this.target)
        }
      } finally {
        this.reading = undefined
      }
    })()
    return this.reading
  }

  private async deliverStored(target: RemoteTarget): Promise<void> {
    const since = await this.store.readSince(this.name, target.applied())
    if (this.stopped) return
    // Deleted since it was read (its doorbell lost): what is stored now is another document.
    if (since.generation > target.generation()) return target.deleted()
    if (since.snapshot && since.through > target.applied()) target.snapshot(since.snapshot, since.through)
    for (const entry of since.entries) {
      if (this.stopped) return
      if (entry.seq <= target.applied()) continue
      const own = entry.instance === this.store.instance
      if (!own) this.arrivals.read.inc()
      target.entry(entry.seq, entry.value, own)
    }
  }
}
