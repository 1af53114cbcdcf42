/**
 * How the History panel words time: versions grouped by the day they ended ("Today",
 * "Yesterday", "Mon, 23 Nov 2026"), each with its time span ("14:02 – 14:20").
 */
import type { Version } from '@quire/editor'

/** Versions that ended on one local day, newest first as they came. */
export interface VersionDay {
  /** `YYYY-MM-DD`, local time: stable, for keys and tests. */
  key: string
  /** "Today", "Yesterday", or the date. */
  label: string
  versions: Version[]
}

function dayKey(ms: number): string {
  const date = new Date(ms)
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`
}

/** The label for the local day of `ms`, seen at `now`. */
export function dayLabel(ms: number, now: number, locale?: string): string {
  const key = dayKey(ms)
  if (key === dayKey(now)) return 'Today'
  const yesterday = new Date(now)
  yesterday.setDate(yesterday.getDate() - 1)
  if (key === dayKey(yesterday.getTime())) return 'Yesterday'
  return new Date(ms).toLocaleDateString(locale, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' })
}

/** Group `versions` (newest first) by the local day each ended, keeping their order. */
export function groupByDay(versions: readonly Version[], now: number, locale?: string): VersionDay[] {
  const days: VersionDay[] = []
  for (const version of versions) {
    const key = dayKey(version.end)
    let day = days[days.length - 1]
    if (day?.key !== key) {
      day = { key, label: dayLabel(version.end, now, locale), versions: [] }
      days.push(day)
    }
    day.versions.push(version)
  }
  return days
}

/** "14:02" for a version within a minute, else "14:02 – 14:20" (with the start's date when it began on another day). */
export function timeSpan(version: Version, locale?: string): string {
  const time = (ms: number): string => new Date(ms).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
  if (version.end - version.start < 60_000) return time(version.end)
  const start =
    dayKey(version.start) === dayKey(version.end)
      ? time(version.start)
      : new Date(version.start).toLocaleString(locale, { dateStyle: 'short', timeStyle: 'short' })
  return `${start} – ${time(version.end)}`
}
