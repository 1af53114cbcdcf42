/**
 * The History panel's grouping by day and its time spans (pure; no browser).
 */
import type { Version } from '@quire/editor'
import { describe, expect, it } from 'vitest'
import { dayLabel, groupByDay, timeSpan } from '../src/history-days.js'

const at = (day: number, hour: number, minute = 0): number => new Date(2026, 10, day, hour, minute).getTime()
const version = (id: string, start: number, end: number): Version => ({ id, start, end, authors: [], added: 0, removed: 0, label: null, kind: 'edit' })

describe('history days', () => {
  const now = at(29, 15)

  it('groups newest-first versions by the local day they ended, keeping their order', () => {
    const versions = [
      version('d', at(29, 14), at(29, 14, 30)),
      version('c', at(29, 9), at(29, 9)),
      version('b', at(28, 23), at(28, 23, 50)),
      version('a', at(20, 8), at(20, 9))
    ]
    const days = groupByDay(versions, now, 'en-GB')
    expect(days.map((day) => [day.key, day.label, day.versions.map((v) => v.id)])).toEqual([
      ['2026-11-29', 'Today', ['d', 'c']],
      ['2026-11-28', 'Yesterday', ['b']],
      ['2026-11-20', 'Fri, 20 Nov 2026', ['a']]
    ])
    expect(groupByDay([], now)).toEqual([])
  })

  it('labels days relative to now', () => {
    expect(dayLabel(at(29, 0, 1), now)).toBe('Today')
    expect(dayLabel(at(28, 23, 59), now)).toBe('Yesterday')
    expect(dayLabel(at(27, 12), now, 'en-GB')).toBe('Fri, 27 Nov 2026')
  })

  it('gives one time for a short version, a span for a longer one, and the date when it began on another day', () => {
    expect(timeSpan(version('x', at(29, 14, 2), at(29, 14, 2) + 30_000), 'en-GB')).toBe('14:02')
    expect(timeSpan(version('x', at(29, 14, 2), at(29, 14, 20)), 'en-GB')).toBe('14:02 – 14:20')
    expect(timeSpan(version('x', at(28, 23, 50), at(29, 0, 10)), 'en-GB')).toBe('28/11/2026, 23:50 – 00:10')
  })
})
