/**
 * The app's entry: pick the page from the address. Every page is a full load (links are plain
 * links), and the server answers any path with this app, so there is no client-side router.
 */
import './style.css'
import { documentFromPath } from './document-names.js'
import { renderDocumentPage } from './document-page.js'
import { renderHomePage } from './home-page.js'
import { renderMessagePage } from './message-page.js'

const root = document.getElementById('app') as HTMLElement
const route = documentFromPath(location.pathname)

if (route === undefined) {
  if (location.pathname === '/') renderHomePage(root)
  else renderMessagePage(root, 'Page not found', `There is nothing at ${location.pathname}. Documents live at /d/<name>.`)
} else if (!route.ok) {
  renderMessagePage(
    root,
    'This link has an invalid document name',
    `The name in the address cannot be used: ${route.reason}. Check the link, or start a new document.`
  )
} else {
  renderDocumentPage(root, route.name)
}

// The service worker keeps the app loadable without a network, so an offline reload still
// reaches the edits kept in IndexedDB. Only production builds have one.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((error: unknown) => console.warn('Offline reload is unavailable:', error))
}
