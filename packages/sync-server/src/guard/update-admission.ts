/**
 * Whether one update from a client may be applied to a document (HI2, AC2): its shape, the cost
 * of integrating it, the document's size limit, the sender's access, and the bytes Yjs would
 * keep waiting for missing dependencies. Judged before anything is applied; the document only
 * carries out the decision.
 */
import * as Y from 'yjs'
import { type DecodedUpdate, type IntegrationBudget, integrationCost } from './integration-cost.js'
import { pendingBytes, waitsWhole } from './pending.js'
import { checkUpdate, type UpdateLimits } from './update-check.js'

/** The limits an update is judged against. */
export interface AdmissionLimits {
  /** Past this many stored bytes, updates that would change the document are refused. */
  maxDocumentBytes: number
  /** Bounds on one update's shape. */
  updateLimits: UpdateLimits
  /** Bounds on the work one update may cost against the document. */
  integrationBudget: IntegrationBudget
  /** Yjs keeps updates it cannot integrate yet; past this many bytes of them, the sender is cut off. */
  maxPendingBytes: number
}

/** What to do with an update. */
export type Admission =
  /** Apply it. */
  | { verdict: 'apply' }
  /** Nothing new in it: acknowledge, apply nothing. */
  | { verdict: 'known' }
  /** Not allowed to change the document: tell the sender (permission-denied), keep the connection. */
  | { verdict: 'denied'; reason: string; metric: 'document_full' | 'read_only' }
  /** Hostile or broken: close the connection with 4422. */
  | { verdict: 'refused'; reason: string }

/** The reason given when an update would leave too much waiting for missing dependencies. */
export const TOO_MUCH_PENDING = 'too many updates with missing dependencies'

/**
 * Judge `update` (an exact-size copy: Yjs must not read past it) from a sender with `access`,
 * against `ydoc` whose stored and unstored changes take `documentBytes`.
 */
export function admitUpdate(ydoc: Y.Doc, update: Uint8Array, access: 'read' | 'write', documentBytes: number, limits: AdmissionLimits): Admission {
  const shape = checkUpdate(update, limits.updateLimits)
  if (!shape.ok) return { verdict: 'refused', reason: shape.reason }
  // Decoded once for the checks against the document (Yjs decodes it again to apply it). Yjs
  // decodes with the same functions, so once this succeeds, applying can fail only while integrating.
  let decoded: DecodedUpdate
  try {
    decoded = Y.decodeUpdate(update)
  } catch {
    return { verdict: 'refused', reason: 'update is malformed' }
  }
  const tooCostly = costRefusal(ydoc, decoded, limits.integrationBudget)
  if (tooCostly) return { verdict: 'refused', reason: tooCostly }
  // Deletions alone never grow a document, so a full one still takes them.
  const full = shape.structs > 0 && documentBytes + update.length > limits.maxDocumentBytes
  if (access === 'read' || full) {
    if (Y.snapshotContainsUpdate(Y.snapshot(ydoc), update)) return { verdict: 'known' }
    return full
      ? {
          verdict: 'denied',
          reason: `document is full: this change would take it past ${limits.maxDocumentBytes} bytes; it stays readable`,
          metric: 'document_full'
        }
      : { verdict: 'denied', reason: 'read-only access: changes are not accepted', metric: 'read_only' }
  }
  // Updates Yjs holds for missing dependencies; legitimate clients never pile them up. One that
  // would wait whole and overflow is refused before it is applied, so what others wait for stays.
  if (pendingBytes(ydoc) + update.length > limits.maxPendingBytes && waitsWhole(ydoc, decoded)) return { verdict: 'refused', reason: TOO_MUCH_PENDING }
  return { verdict: 'apply' }
}

// Why applying an update would cost too much against this document; undefined if it is fine.
function costRefusal(ydoc: Y.Doc, update: DecodedUpdate, budget: IntegrationBudget): string | undefined {
  try {
    const cost = integrationCost(ydoc, update, budget)
    return cost.exceeded ? 'update would take too long to apply (concurrent inserts or deletes past the budget)' : undefined
  } catch {
    return 'update is malformed'
  }
}
