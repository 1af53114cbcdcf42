// The editor alone, as an app would embed it; the check drives it through window.quire.
import { createEditor } from '../out/index.js'

const name = new URL(location.href).searchParams.get('name') ?? 'Anonymous'
window.quire = createEditor({
  parent: document.querySelector('#editor'),
  serverUrl: location.origin.replace(/^http/, 'ws'),
  document: 'peer-floor/check',
  user: { name },
  offlineCache: false
})
