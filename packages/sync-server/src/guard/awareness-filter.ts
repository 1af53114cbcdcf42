/**
 * Untrusted awareness updates, checked and rewritten before y-protocols applies them:
 * every entry well-formed, every state under the size cap and valid JSON, no entry for a client
 * id that another connection controls, and, when the connection's token names a user, that
 * name in the state's `user.name` whatever the client claimed.
 *
 * Wire format (y-protocols/awareness): varUint count, count × (varUint clientID, varUint clock,
 * varString JSON state, "null" for removal).
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

/** What the filter needs to know about the sending connection. */
export interface AwarenessPolicy {
  /** Largest state accepted, in bytes of JSON. */
  maxStateBytes: number
  /** The token's user name, forced into the state; undefined leaves states as sent. */
  user: string | undefined
  /** Whether this connection may speak for `clientId`. */
  mayControl(clientId: number): boolean
}

/** The filtered update, or why the whole update is refused. */
export type AwarenessVerdict =
  | { ok: true; update: Uint8Array; entries: number /** Client ids the update gives a (non-null) state. */; present: number[] }
  | { ok: false; reason: string; tooLarge: boolean }

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Check and rewrite one awareness update from a connection. */
export function filterAwareness(update: Uint8Array, policy: AwarenessPolicy): AwarenessVerdict {
  const decoder = decoding.createDecoder(update)
  const out = encoding.createEncoder()
  const kept: Array<[number, number, string]> = []
  let count: number
  try {
    count = decoding.readVarUint(decoder)
    if (count > update.length) return refuse('awareness entry count exceeds the bytes present')
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder)
      const clock = decoding.readVarUint(decoder)
      const length = decoding.readVarUint(decoder)
      if (length > update.length - decoder.pos) return refuse('awareness state runs past the update')
      if (length > policy.maxStateBytes) return { ok: false, reason: `awareness state larger than ${policy.maxStateBytes} bytes`, tooLarge: true }
      const json = utf8.decode(decoding.readUint8Array(decoder, length))
      let state: unknown = JSON.parse(json)
      if (!policy.mayControl(clientId)) continue
      if (policy.user !== undefined && state !== null) state = withUser(state, policy.user)
      kept.push([clientId, clock, state === null ? 'null' : JSON.stringify(state)])
    }
    if (decoder.pos !== update.length) return refuse('trailing bytes after the awareness entries')
  } catch {
    return refuse('awareness update is malformed')
  }
  const present = kept.filter(([, , json]) => json !== 'null').map(([clientId]) => clientId)
  if (policy.user === undefined && kept.length === count) return { ok: true, update, entries: count, present }
  encoding.writeVarUint(out, kept.length)
  for (const [clientId, clock, json] of kept) {
    encoding.writeVarUint(out, clientId)
    encoding.writeVarUint(out, clock)
    encoding.writeVarString(out, json)
  }
  return { ok: true, update: encoding.toUint8Array(out), entries: kept.length, present }
}

function refuse(reason: string): AwarenessVerdict {
  return { ok: false, reason, tooLarge: false }
}

function withUser(state: unknown, name: string): unknown {
  if (typeof state !== 'object' || Array.isArray(state) || state === null) return { user: { name } }
  const current = (state as { user?: unknown }).user
  const user = typeof current === 'object' && current !== null && !Array.isArray(current) ? { ...current, name } : { name }
  return { ...state, user }
}
