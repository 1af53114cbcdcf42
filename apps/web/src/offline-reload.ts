/**
 * Offline reload (the service worker that keeps the app loadable without a network) only works
 * where browsers allow service workers: HTTPS, or localhost. On plain HTTP under a LAN name
 * edits are still kept on the device while the page stays open, but a reload without the
 * server shows the browser's error page, so the app says so rather than promise it.
 */
import { h } from './dom.js'

/** Whether this page can be reloaded without a network. */
export function offlineReloadAvailable(): boolean {
  return globalThis.isSecureContext === true && 'serviceWorker' in navigator
}

/** A note saying offline reload is unavailable here, or nothing where it works. */
export function offlineReloadNote(): HTMLElement | undefined {
  if (offlineReloadAvailable()) return undefined
  return h(
    'p',
    { class: 'offline-note muted' },
    'Reloading without a network is off here: browsers allow it only on HTTPS or localhost, and this page came over plain HTTP. Your edits are still kept on this device while the page stays open.'
  )
}
