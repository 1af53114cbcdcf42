/**
 * The connection and saved status in words: a short label for the header and, when something
 * needs explaining (offline, refused, read-only), a sentence for the banner under it.
 */
import type { EditorStatus } from '@quire/editor'

/** The header label. */
export function statusLabel(status: EditorStatus): string {
  switch (status.connection) {
    case 'connecting':
      return 'Connecting…'
    case 'connected':
      return status.saved ? 'Saved' : 'Saving…'
    case 'offline':
      return status.saved ? 'Offline' : 'Offline · not saved yet'
    case 'unauthorized':
    case 'forbidden':
      return 'No access'
  }
}

/** The banner sentence, if the status needs one. */
export function statusMessage(status: EditorStatus): string | undefined {
  const reason = status.reason ? ` (${status.reason.replace(/\.$/, '')})` : ''
  switch (status.connection) {
    case 'unauthorized':
      return `The server did not accept this link's access token${reason}. Ask whoever shared the link for a new one.`
    case 'forbidden':
      return `This link does not give access to this document${reason}. Ask whoever shared it for a link to this document.`
    case 'offline':
      return 'You are offline. Keep writing: your changes are kept on this device and sent as soon as the server is back.'
    default:
      return status.readOnly ? `You can read this document but not edit it${reason}.` : undefined
  }
}

/** Show `status` in the header element and the banner. */
export function renderStatus(label: HTMLElement, banner: HTMLElement, status: EditorStatus): void {
  label.textContent = statusLabel(status) + (status.readOnly && status.connection === 'connected' ? ' · read only' : '')
  label.dataset.connection = status.connection
  label.dataset.saved = String(status.saved)
  const message = statusMessage(status)
  banner.textContent = message ?? ''
  banner.hidden = message === undefined
  banner.dataset.tone = status.connection === 'unauthorized' || status.connection === 'forbidden' ? 'error' : 'info'
}
