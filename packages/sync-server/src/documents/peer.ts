import type { ExtensionName } from '@quire/protocol'

/** Told when a watched connection goes silent (see {@link Peer.silenceListener}). */
export interface SilenceListener {
  /** Nothing, not even a pong, was heard from `peer` for the presence timeout; its socket stays open. */
  silent(peer: Peer): void
}

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
  /**
   * Set by the document layer while this peer shows presence: only then does the transport check
   * often that the connection is still heard from, and tells the listener when it is not. Being
   * present is not being connected: a silent connection stays open until the keepalive ends it.
   */
  silenceListener?: SilenceListener | undefined
  /**
   * Queue bytes for the client; never throws. The bytes may be shared with other peers and must
   * not be changed. `sent`, if given, is called once they have been handed to the operating system,
   * or once they never will be (the connection is closing).
   */
  send(bytes: Uint8Array, sent?: () => void): void
  /** End the connection with a close code from @quire/protocol and a short reason. */
  close(code: number, reason: string): void
}
