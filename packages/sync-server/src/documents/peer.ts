import type { ExtensionName } from '@quire/protocol'

/**
 * One client connection as the document layer sees it: no sockets here, so documents can be
 * driven by tests and by any transport.
 */
export interface Peer {
  /** Stable id for logs. */
  readonly id: string
  /** Protocol extensions the client asked for. */
  readonly extensions: ReadonlySet<ExtensionName>
  /** What the connection's token allows; open servers give everyone write. */
  readonly access: 'read' | 'write'
  /** The user name the token vouches for, forced into this peer's awareness states. */
  readonly user: string | undefined
  /** Queue bytes for the client; never throws. */
  send(bytes: Uint8Array): void
  /** End the connection with a close code from @quire/protocol and a short reason. */
  close(code: number, reason: string): void
}
