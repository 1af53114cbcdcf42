/** Settings for document history (README "Configuration": the `--history…` flags). */
export interface HistorySettings {
  /** `off` records no versions on this server (stored ones stay readable). */
  history: 'on' | 'off'
  /** A version is cut once its document has had no change for this long. */
  historyIdleMs: number
  /** A version spans at most this much time of continuous editing. */
  historyMaxMs: number
  /** Versions older than this are merged into one per hour (named ones are kept); 0 never merges. */
  historyDetailMs: number
  /** Versions older than this are merged into the next named one (or the oldest kept); 0 keeps them forever. */
  historyKeepMs: number
}

/** The defaults, as the README's configuration table shows them. */
export const defaultHistorySettings: HistorySettings = {
  history: 'on',
  historyIdleMs: 10_000,
  historyMaxMs: 5 * 60_000,
  historyDetailMs: 30 * 24 * 3_600_000,
  historyKeepMs: 0
}

/** How often, at most, a loaded document applies retention to its own history (when it unloads). */
export const RETENTION_EVERY_MS = 3_600_000
