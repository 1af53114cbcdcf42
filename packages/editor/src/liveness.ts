/**
 * Noticing a dead connection in seconds. A dropped network (Wi-Fi gone, a laptop lid closed, a
 * proxy that lost the route) usually closes nothing: the socket stays "open" and silent, and the
 * provider's own watchdog only gives up after 30 s, all that time showing "Saved". So when the
 * server has said nothing for a while, the editor asks it something small (query-awareness, which
 * a Quire server answers with the presence states), and a connection that still says nothing is
 * taken as dead and remade. A socket stuck connecting is given up the same way.
 *
 * Pure timing: the caller feeds it what happens and calls {@link Liveness.check} now and then.
 */

/** How patient the check is, in milliseconds. */
export interface LivenessOptions {
  /** Silence after which the server is asked; 0 turns probing off (stock servers do not answer). */
  quietMs: number
  /** How long an asked server may take to say anything. */
  answerMs: number
  /** How long a socket may stay connecting. */
  connectMs: number
}

/**
 * The defaults: offline within about 15 s of a silent drop (at once when the browser reports
 * it). A shorter answer time took a busy server (a loaded CI machine) for a dead one.
 */
export const DEFAULT_LIVENESS: LivenessOptions = { quietMs: 5_000, answerMs: 10_000, connectMs: 10_000 }

/** How much longer an answer may take while the server still owes acknowledgements: it is busy with our changes. */
const BUSY_PATIENCE = 3

/**
 * Checks this far apart mean this page itself was stalled (a long task, a throttled tab): frames
 * may be waiting unread behind the stall, so silence measured across it proves nothing.
 */
const STALL_MS = 2_500

/** What {@link Liveness.check} says to do. */
export type LivenessAction = 'none' | 'probe' | 'dead'

/** The state of one provider's current socket. */
export class Liveness {
  #state: 'closed' | 'connecting' | 'open' = 'closed'
  /** When the socket started connecting, or last received anything. */
  #since = 0
  #probedAt: number | undefined
  #lastCheck: number | undefined

  constructor(private readonly options: LivenessOptions) {}

  /** A socket started connecting. */
  connecting(now: number): void {
    this.#state = 'connecting'
    this.#since = now
    this.#probedAt = undefined
  }

  /** The socket opened. */
  opened(now: number): void {
    this.#state = 'open'
    this.received(now)
  }

  /** A frame arrived: the connection is alive. */
  received(now: number): void {
    this.#since = now
    this.#probedAt = undefined
  }

  /** The socket is gone. */
  closed(): void {
    this.#state = 'closed'
    this.#probedAt = undefined
  }

  /**
   * What to do now; call it about every second. `backedUp` says the socket still holds data it
   * could not send: the server is reading it slowly on purpose (rate limit), which is life, not
   * death. `busy` says the server still owes acknowledgements, so it gets longer to answer.
   */
  check(now: number, backedUp: boolean, busy = false): LivenessAction {
    const stalled = this.#lastCheck !== undefined && now - this.#lastCheck > STALL_MS
    this.#lastCheck = now
    if (stalled) {
      // Start counting again: whatever arrived during the stall is still to be read.
      this.#since = now
      if (this.#probedAt !== undefined) this.#probedAt = now
      return 'none'
    }
    if (this.#state === 'connecting') return now - this.#since > this.options.connectMs ? 'dead' : 'none'
    if (this.#state !== 'open' || this.options.quietMs <= 0 || backedUp) return 'none'
    const patience = busy ? this.options.answerMs * BUSY_PATIENCE : this.options.answerMs
    if (this.#probedAt !== undefined) return now - this.#probedAt > patience ? 'dead' : 'none'
    if (now - this.#since <= this.options.quietMs) return 'none'
    this.#probedAt = now
    return 'probe'
  }
}
