/**
 * Refusals (HI4): hostile or broken clients are normal, and can be refused thousands of times a
 * second. Logging each refusal would let any client fill the operator's disk and spend the server's
 * CPU on log lines, and bury everything else in the log. So, per kind of refusal (its metric
 * label), the first lines of each window are written and the rest only counted, then summed up in
 * one line when the window ends. The metrics still count every refusal.
 */
import type { Logger } from 'pino'

/** How long a window lasts. */
export const REFUSAL_WINDOW_MS = 10_000
/** Lines of one kind written per window; the rest are summed up. */
export const REFUSALS_PER_WINDOW = 20

interface Window {
  endsAt: number
  written: number
  suppressed: number
}

/** A logger's refusal lines, throttled per kind. */
export class RefusalLog {
  private readonly windows = new Map<string, Window>()

  constructor(
    private readonly log: Logger,
    private readonly windowMs = REFUSAL_WINDOW_MS,
    private readonly perWindow = REFUSALS_PER_WINDOW
  ) {}

  /** Log one refusal of `kind` at `level`, unless this window has had its share of them. */
  write(level: 'info' | 'warn', kind: string, fields: object, message: string): void {
    const now = Date.now()
    let window = this.windows.get(kind)
    if (window === undefined || now >= window.endsAt) {
      if (window) this.summarize(kind, window)
      window = { endsAt: now + this.windowMs, written: 0, suppressed: 0 }
      this.windows.set(kind, window)
    }
    if (window.written < this.perWindow) {
      window.written++
      this.log[level]({ ...fields, refusal: kind }, message)
      return
    }
    // The first suppressed line arms the summary, so it is written even if the refusals stop.
    if (window.suppressed++ === 0) {
      const armed = window
      setTimeout(() => {
        if (this.windows.get(kind) === armed) {
          this.windows.delete(kind)
          this.summarize(kind, armed)
        }
      }, armed.endsAt - now).unref()
    }
  }

  private summarize(kind: string, window: Window): void {
    if (window.suppressed === 0) return
    this.log.warn(
      { refusal: kind, suppressed: window.suppressed, windowMs: this.windowMs },
      `${window.suppressed} more refusals of this kind were not logged (at most ${this.perWindow} are written per ${this.windowMs / 1000} s; the metrics count them all)`
    )
    window.suppressed = 0
  }
}

const shared = new WeakMap<Logger, RefusalLog>()

/** The one {@link RefusalLog} of `log`, so that every part of the server shares its windows. */
export function refusalLog(log: Logger): RefusalLog {
  let found = shared.get(log)
  if (!found) shared.set(log, (found = new RefusalLog(log)))
  return found
}
