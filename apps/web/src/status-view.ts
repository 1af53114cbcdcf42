/**
 * The connection and saved status in words: a short label for the header and, when something
 * needs explaining (offline, refused, stopped, read-only), a sentence for the banner under it.
 */

import type { EditorStatus } from '@quire/editor'
import { CloseCode } from '@quire/protocol'

/** What the page knows beyond the status. */
export interface StatusContext {
  /** The page opened the document with an access token (from a share link). */
  hasToken: boolean
  /** The browser believes it has a network (`navigator.onLine`); `true` when unknown. */
  online?: boolean
  /** The page may be reloaded without a network (a service worker can run: HTTPS or localhost). */
  offlineReload?: boolean
}

// Read-only while the editor waits for the server's word is a pause, not news for the person.
const settledReadOnly = (status: EditorStatus): boolean => status.readOnly && !status.awaitingAccess

/** The header label. */
export function statusLabel(status: EditorStatus): string {
  const readOnly = settledReadOnly(status)
  switch (status.connection) {
    case 'connecting':
      return 'Connecting…'
    case 'connected':
      if (readOnly) return 'Read only'
      return status.saved ? 'Saved' : 'Saving…'
    case 'offline':
      if (readOnly) return 'Offline · read only'
      return status.saved ? 'Offline' : 'Offline · not saved yet'
    case 'unauthorized':
    case 'forbidden':
      return 'No access'
    case 'error':
      return 'Sync stopped'
  }
}

// "The token has expired." → " (the token has expired)", for the middle of a sentence.
function aside(reason: string | undefined): string {
  if (!reason) return ''
  const words = /^[A-Z][a-z]/.test(reason) ? reason[0]!.toLowerCase() + reason.slice(1) : reason
  return ` (${words.replace(/\.$/, '')})`
}

const KEPT = 'Keep writing: your changes are kept on this device and sent as soon as the server is back.'

const NO_OFFLINE_RELOAD = ' Do not reload this page until it reconnects: reloading without the server needs HTTPS (or localhost).'

function offlineMessage(status: EditorStatus, context: StatusContext): string {
  const next = (settledReadOnly(status) ? 'The text updates as soon as the server is back.' : KEPT) + (context.offlineReload === false ? NO_OFFLINE_RELOAD : '')
  // The browser knows when it has no network at all; otherwise the network is fine and it is
  // the server that cannot be reached (stopped, restarting, or a proxy in between).
  if (status.reason === undefined) return context.online === false ? `You are offline. ${next}` : `Cannot reach the server. Reconnecting… ${next}`
  if (status.closeCode === CloseCode.GoingAway) return `The server is shutting down or restarting. Reconnecting… ${next}`
  return `Reconnecting: the server turned the connection away for now${aside(status.reason)}. ${next}`
}

// Reloading would send the same change again; what gets out without losing anything.
const RESTART =
  "Your copy on this device is kept: download it, then start again from the server's copy and paste back what is missing (large pastes are sent in parts)."

/** Whether syncing stopped over a change of this browser's, which starting again from the server's copy gets past. */
export function canStartAgain(status: EditorStatus): boolean {
  return status.connection === 'error' && (status.closeCode === CloseCode.MessageTooBig || status.closeCode === CloseCode.InvalidUpdate)
}

function errorMessage(status: EditorStatus): string {
  const reason = aside(status.reason)
  const kept = 'Your copy on this device is kept: export it, or reload to try again.'
  switch (status.closeCode) {
    case CloseCode.DocumentDamaged:
      return `The server cannot read this document's stored data${reason}, so it stopped syncing it and left the data untouched for an operator to repair. ${kept}`
    case CloseCode.InvalidUpdate:
      return `The server refused a change from this browser${reason}, so syncing stopped. ${RESTART}`
    case CloseCode.MessageTooBig:
      return `A change from this browser was larger than the server accepts at once${reason}, so syncing stopped. ${RESTART}`
    case CloseCode.MalformedMessage:
      return `The server could not understand this browser${reason}, so syncing stopped. This page may be out of date. ${kept}`
    default:
      return `Syncing stopped: the server closed the connection${reason}. ${kept}`
  }
}

/** The banner sentence, if the status needs one. */
export function statusMessage(status: EditorStatus, context: StatusContext = { hasToken: false }): string | undefined {
  switch (status.connection) {
    case 'unauthorized':
      return context.hasToken
        ? `The server did not accept this link's access token${aside(status.reason)}. Ask whoever shared the link for a new one.`
        : 'This document needs an access link. Open it through the link you were given, or ask whoever shares it for one.'
    case 'forbidden':
      return `This link does not give access to this document${aside(status.reason)}. Ask whoever shared it for a link to this document.`
    case 'error':
      return errorMessage(status)
    case 'offline':
      return offlineMessage(status, context)
    default:
      return settledReadOnly(status) ? `You can read this document but not edit it${aside(status.readOnlyReason)}.` : undefined
  }
}

/**
 * How long changes may wait for the server's acknowledgement before the header says
 * "Saving…". Every keystroke is unsaved for a moment; announcing each one made the `role=status`
 * region chatter for screen readers and flicker for everyone else.
 */
export const SAVING_DELAY_MS = 1_000

const pendingLabels = new WeakMap<HTMLElement, ReturnType<typeof setTimeout>>()

// The words in the header, which a screen reader announces when they change: "Saving…" only
// once changes have waited SAVING_DELAY_MS, so quick saves go unannounced.
function showLabel(label: HTMLElement, status: EditorStatus): void {
  clearTimeout(pendingLabels.get(label))
  pendingLabels.delete(label)
  const words = statusLabel(status)
  const wasSaved = label.textContent === 'Saved' || label.textContent === ''
  if (status.connection === 'connected' && !status.saved && !settledReadOnly(status) && wasSaved) {
    if (label.textContent === '') label.textContent = 'Saved'
    pendingLabels.set(
      label,
      setTimeout(() => {
        pendingLabels.delete(label)
        label.textContent = words
      }, SAVING_DELAY_MS)
    )
    return
  }
  if (label.textContent !== words) label.textContent = words
}

/**
 * Show `status` in the header element and the banner. The `data-` attributes change at once
 * (tests and styles read them); the words wait as {@link SAVING_DELAY_MS} says.
 */
export function renderStatus(label: HTMLElement, banner: HTMLElement, status: EditorStatus, context: StatusContext): void {
  showLabel(label, status)
  label.dataset.connection = status.connection
  label.dataset.saved = String(status.saved)
  label.dataset.readOnly = String(status.readOnly)
  const message = statusMessage(status, context)
  if (banner.textContent === (message ?? '')) return
  banner.textContent = message ?? ''
  banner.hidden = message === undefined
  banner.dataset.tone = status.connection === 'unauthorized' || status.connection === 'forbidden' || status.connection === 'error' ? 'error' : 'info'
}
