/**
 * The contents of a `history` frame (extension `history`, rule F10): a version was cut, or a
 * restore happened. The server writes them; clients read them with {@link readHistoryEvent},
 * which checks every field, because a frame is untrusted bytes.
 */
import { ProtocolError } from './errors.js'

/** Who wrote in a version: a token's `user` claim (verified) or a presence name (unverified). */
export interface HistoryAuthor {
  name: string
  verified: boolean
  color: string | null
}

/** Why a version was cut. */
export type HistoryVersionKind = 'edit' | 'restore' | 'before-restore' | 'import'

/** One version of a document, as the history API and the `history` frame show it. */
export interface HistoryVersion {
  id: string
  /** First change, ms since the epoch. */
  start: number
  /** Last change, ms since the epoch. */
  end: number
  authors: HistoryAuthor[]
  /** Characters added and removed since the previous version. */
  added: number
  removed: number
  label: string | null
  kind: HistoryVersionKind
}

/** What a `history` frame says. */
export interface HistoryEvent {
  event: 'version' | 'restore'
  version: HistoryVersion
}

const KINDS: readonly string[] = ['edit', 'restore', 'before-restore', 'import']

/** The JSON text of a `history` frame. */
export function writeHistoryEvent(event: HistoryEvent): string {
  return JSON.stringify(event)
}

/** Read a `history` frame's JSON text; throws {@link ProtocolError} unless it is exactly a HistoryEvent. */
export function readHistoryEvent(json: string): HistoryEvent {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new ProtocolError('history event is not JSON')
  }
  const event = value as Partial<HistoryEvent> | null
  if (!isObject(event) || (event.event !== 'version' && event.event !== 'restore')) throw new ProtocolError('history event has no valid "event"')
  const v = event.version as Partial<HistoryVersion> | undefined
  const valid =
    isObject(v) &&
    typeof v.id === 'string' &&
    isCount(v.start) &&
    isCount(v.end) &&
    isCount(v.added) &&
    isCount(v.removed) &&
    (v.label === null || typeof v.label === 'string') &&
    typeof v.kind === 'string' &&
    KINDS.includes(v.kind) &&
    Array.isArray(v.authors) &&
    v.authors.every((a) => isObject(a) && typeof a.name === 'string' && typeof a.verified === 'boolean' && (a.color === null || typeof a.color === 'string'))
  if (!valid) throw new ProtocolError('history event has no valid "version"')
  const version = v as HistoryVersion
  return {
    event: event.event,
    version: {
      id: version.id,
      start: version.start,
      end: version.end,
      authors: version.authors.map(({ name, verified, color }) => ({ name, verified, color })),
      added: version.added,
      removed: version.removed,
      label: version.label,
      kind: version.kind
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}
