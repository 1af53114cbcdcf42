/**
 * The JSON bodies webhooks carry (README "Webhooks"). One event per POST; `id` stays the same
 * across retries of one event, so a receiver can drop a duplicate.
 */
import { randomUUID } from 'node:crypto'

/** What happened to a document. */
export type WebhookEventType = 'document.created' | 'document.changed' | 'document.deleted'

/**
 * Someone who changed a document: `verified` when the name is the `user` claim of their token (or
 * an HTTP write's credential), otherwise a name their client showed in its presence, which anyone
 * can claim.
 */
export interface Author {
  name: string
  verified: boolean
}

/** One webhook event, as sent. */
export interface WebhookEvent {
  id: string
  type: WebhookEventType
  /** When the event was made (ISO 8601). */
  time: string
  /** The document name. */
  document: string
  /** Bytes stored for the document after the change (not on `document.deleted`). */
  size?: number
  /** Who changed it since the previous event for the document (not on `document.deleted`). */
  users?: Author[]
}

/** A new event with a fresh id, stamped now. */
export function makeEvent(type: WebhookEventType, document: string, facts: { size?: number; users?: Author[] } = {}): WebhookEvent {
  return { id: randomUUID(), type, time: new Date().toISOString(), document, ...facts }
}
