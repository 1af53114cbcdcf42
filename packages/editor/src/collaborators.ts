/**
 * Collaborators: the other people who have the document open, read from the awareness states
 * that y-websocket exchanges. The local user is published in the `user` field, where
 * y-codemirror.next also looks for a caret's name and colour.
 */
import type { Awareness } from 'y-protocols/awareness'
import type { User } from './identity.js'

/** Another person (one browser tab) in the document. */
export interface Collaborator extends User {
  /** The Yjs client id of their tab; one person with two tabs is two collaborators. */
  readonly clientId: number
}

/** The collaborators in `awareness`, without the local client, in a stable order. */
export function collaboratorsOf(awareness: Awareness): Collaborator[] {
  const collaborators: Collaborator[] = []
  for (const [clientId, state] of awareness.getStates()) {
    const user = (state as { user?: Partial<User> }).user
    if (clientId === awareness.clientID || typeof user?.name !== 'string') continue
    collaborators.push({ clientId, name: user.name, color: user.color ?? '#888888', colorLight: user.colorLight ?? '#88888833' })
  }
  return collaborators.sort((a, b) => a.clientId - b.clientId)
}
