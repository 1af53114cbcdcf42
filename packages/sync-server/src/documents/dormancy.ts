/**
 * The dormancy states of a document (DM1, DM2): awake with its Y.Doc, dormant with only the state
 * vector of what is stored, or waking (reading it back while holding the frames that arrive).
 */
import type * as Y from 'yjs'
import type { HeldFrames } from './held-frames.js'
import type { Integrator } from './integration.js'

/**
 * Whether the document has its Y.Doc. A dormant or waking one has only the state vector of what
 * is stored; a failed one (Yjs threw halfway through an update, or it is closed) has nothing to
 * trust in memory and takes no more frames.
 */
export type DocumentState =
  | { kind: 'awake'; ydoc: Y.Doc; integrator: Integrator }
  | { kind: 'dormant'; vector: Uint8Array }
  | { kind: 'waking'; vector: Uint8Array; held: HeldFrames; done: Promise<void> }
  | { kind: 'failed' }
