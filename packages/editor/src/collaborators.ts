/**
 * Presence: who else has the document open, read from the awareness states that y-websocket
 * exchanges. The local user is published in the `user` field, where y-codemirror.next looks for
 * a caret's name and colour.
 */
import type { Awareness } from 'y-protocols/awareness'
import type { User } from './identity.js'

/** Another person (one browser tab) in the document. */
export interface Peer extends User {
  /** The Yjs client id of their tab; one person with two tabs is two peers. */
  readonly clientId: number
}

/** The peers in `awareness`, without the local client, in a stable order. */
export function peersOf(awareness: Awareness): Peer[] {
  const peers: Peer[] = []
  for (const [clientId, state] of awareness.getStates()) {
    const user = (state as { user?: Partial<User> }).user
    if (clientId === awareness.clientID || typeof user?.name !== 'string') continue
    peers.push({ clientId, name: user.name, color: user.color ?? '#888888', colorLight: user.colorLight ?? '#88888833' })
  }
  return peers.sort((a, b) => a.clientId - b.clientId)
}
