/**
 * Who is present on one document: its peers' awareness states, which peer controls which client
 * id, and the limits on both. Updates are checked and rewritten by guard/awareness-filter.ts
 * before y-protocols applies them. No Awareness is created until somebody shows presence, so a
 * document read by clients that show none holds nothing here.
 *
 * Present is not connected (PR2): a peer that shows presence is watched by the transport, and
 * once it has gone silent its states are removed for everyone while its socket stays open. It
 * keeps control of its client ids meanwhile. The removal reaches the silent client too, once it
 * reads again, and y-protocols' rule that a remote peer never removes a local state makes it
 * announce its state again with a higher clock: it reappears without the server keeping or
 * forging anything.
 */
import { CloseCode } from '@quire/protocol'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import { filterAwareness } from '../guard/awareness-filter.js'
import type { Peer, SilenceListener } from './peer.js'

/** Limits on presence. */
export interface PresenceLimits {
  /** Largest awareness state accepted, in bytes of JSON. */
  maxAwarenessBytes: number
  /** Presence states (awareness client ids) one connection may hold. */
  maxAwarenessClients: number
}

/** Why an awareness update was refused: the connection is closed with `code`. */
export interface PresenceRefusal {
  code: number
  reason: string
}

// What a peer that has shown no presence controls: one shared set, not one per peer.
const CONTROLS_NOTHING: ReadonlySet<number> = new Set()
// The origin of presence another instance passed on.
const REMOTE_PRESENCE = Symbol('remote presence')
// An awareness update with no entries (varUint count 0).
const NO_PRESENCE = new Uint8Array([0])

// Names are stored with versions and sent in events: a client does not get to make them huge.
const MAX_NAME_LENGTH = 200

type AwarenessChange = { added: number[]; updated: number[]; removed: number[] }

/** The presence on one document. */
export class Presence implements SilenceListener {
  private awareness: awarenessProtocol.Awareness | undefined
  private readonly controlled = new Map<Peer, ReadonlySet<number>>()

  /** `changed` gets each change as an awareness update for every peer; `local` unless it came from another instance. */
  constructor(
    private readonly limits: PresenceLimits,
    private readonly changed: (update: Uint8Array, local: boolean) => void
  ) {}

  /** Awareness states by client id. */
  get states(): ReadonlyMap<number, unknown> {
    return this.awareness?.getStates() ?? new Map()
  }

  /** Everyone's presence as one awareness update (with no entries when nobody is present). */
  encodeAll(): Uint8Array {
    const ids = [...this.states.keys()]
    return this.awareness && ids.length > 0 ? awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids) : NO_PRESENCE
  }

  /** The name and colour `peer` shows in its presence (`user.name`, `user.color`), if any. */
  userOf(peer: Peer): { name: string | undefined; color: string | undefined } {
    for (const id of this.controlled.get(peer) ?? []) {
      const user = (this.states.get(id) as { user?: { name?: unknown; color?: unknown } } | undefined)?.user
      if (typeof user?.name === 'string' || typeof user?.color === 'string') {
        return {
          name: typeof user.name === 'string' ? user.name.slice(0, MAX_NAME_LENGTH) : undefined,
          color: typeof user.color === 'string' ? user.color : undefined
        }
      }
    }
    return { name: undefined, color: undefined }
  }

  /** A peer joined; it controls nothing yet. */
  join(peer: Peer): void {
    this.controlled.set(peer, CONTROLS_NOTHING)
  }

  /** A peer left: remove the states it controlled (the others are told). */
  leave(peer: Peer): void {
    const ids = this.controlled.get(peer)
    this.controlled.delete(peer)
    peer.silenceListener = undefined
    if (ids && ids.size > 0 && this.awareness) awarenessProtocol.removeAwarenessStates(this.awareness, [...ids], 'leave')
  }

  /** `peer` went silent: the others stop seeing it (PR2); it is watched again once it shows presence again. */
  silent(peer: Peer): void {
    peer.silenceListener = undefined
    const ids = this.controlled.get(peer)
    // Removed as a leaving peer's are: a null state at the same clock, which y-protocols takes as removal.
    if (ids && ids.size > 0 && this.awareness) awarenessProtocol.removeAwarenessStates(this.awareness, [...ids], 'silent')
  }

  /** Apply an awareness update from `peer`, as the rules allow; or say why it is refused. */
  apply(peer: Peer, update: Uint8Array): PresenceRefusal | undefined {
    const verdict = filterAwareness(update, {
      maxStateBytes: this.limits.maxAwarenessBytes,
      user: peer.user,
      mayControl: (clientId) => {
        for (const [other, ids] of this.controlled) if (other !== peer && ids.has(clientId)) return false
        return true
      }
    })
    if (!verdict.ok) return { code: verdict.tooLarge ? CloseCode.AwarenessTooLarge : CloseCode.InvalidUpdate, reason: verdict.reason }
    if (verdict.entries === 0) return undefined
    const ids = this.controlled.get(peer)
    const added = verdict.present.filter((id) => !ids?.has(id)).length
    if ((ids?.size ?? 0) + added > this.limits.maxAwarenessClients) {
      return { code: CloseCode.AwarenessTooLarge, reason: `more than ${this.limits.maxAwarenessClients} presence states for one connection` }
    }
    try {
      awarenessProtocol.applyAwarenessUpdate(this.created(), verdict.update, peer)
    } catch {
      return { code: CloseCode.InvalidUpdate, reason: 'awareness update could not be applied' }
    }
    return undefined
  }

  /**
   * Apply presence passed on by another instance (cluster mode, CL5), already checked there. It
   * is controlled by no peer here: it leaves when that instance says so, or times out.
   */
  applyRemote(update: Uint8Array): void {
    try {
      awarenessProtocol.applyAwarenessUpdate(this.created(), update, REMOTE_PRESENCE)
    } catch {
      // Not ours to refuse: the instance that checked it keeps its connection.
    }
  }

  /** Stop the Awareness (and its timer), if one was created. */
  destroy(): void {
    this.awareness?.destroy()
  }

  // y-protocols' Awareness wants a Y.Doc only for a client id of its own; the server shows no presence.
  private created(): awarenessProtocol.Awareness {
    if (!this.awareness) {
      this.awareness = new awarenessProtocol.Awareness(new Y.Doc())
      this.awareness.setLocalState(null)
      this.awareness.on('update', (change: AwarenessChange, origin: unknown) => this.updated(change, origin))
    }
    return this.awareness
  }

  // A method, bound only once an Awareness exists: a class-field arrow would cost every document a closure.
  private updated({ added, updated, removed }: AwarenessChange, origin: unknown): void {
    const peer = origin as Peer
    const current = this.controlled.get(peer)
    if (current) {
      const ids = current === CONTROLS_NOTHING ? new Set<number>() : (current as Set<number>)
      for (const id of added) ids.add(id)
      for (const id of updated) ids.add(id)
      for (const id of removed) ids.delete(id)
      this.controlled.set(peer, ids)
      peer.silenceListener = ids.size > 0 ? this : undefined
    }
    this.changed(
      awarenessProtocol.encodeAwarenessUpdate(this.awareness as awarenessProtocol.Awareness, [...added, ...updated, ...removed]),
      origin !== REMOTE_PRESENCE
    )
  }
}
