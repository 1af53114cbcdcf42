/**
 * The document page: the editor under a header with the name, status, people, your name,
 * share and export.
 */
import { createEditor, type EditorHandle } from '@quire/editor'
import { shareUrl, takeToken, tokenUser } from './access-link.js'
import { h, logo } from './dom.js'
import { editorSetup } from './editor-setup.js'
import { editorTheme } from './editor-theme.js'
import { downloadText, exportFileName } from './export-document.js'
import { renderPresence } from './presence-view.js'
import { rememberDocument } from './recent-documents.js'
import { shareLink } from './share-link.js'
import { renderStatus } from './status-view.js'

declare global {
  interface Window {
    /** The open editor, for the browser console and the browser tests. */
    quire?: EditorHandle
  }
}

/** The sync server: the same host that served the page (through Vite's `/sync` proxy in development). */
function serverUrl(): string {
  return location.origin.replace(/^http/, 'ws') + (import.meta.env.DEV ? '/sync' : '')
}

/** Replace `root` with the page for document `name`. */
export function renderDocumentPage(root: HTMLElement, name: string): void {
  document.title = `${name} · Quire`
  rememberDocument(name)

  const status = h('span', { class: 'status', role: 'status' })
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true })
  const presence = h('div', { class: 'presence' })
  const nameInput = h('input', { class: 'your-name', 'aria-label': 'Your name', maxlength: '40', autocomplete: 'nickname', spellcheck: 'false' })
  const share = h('button', { type: 'button', class: 'button primary share' }, 'Share')
  const exportMd = h('button', { type: 'button', class: 'menu-item', 'data-format': 'md' }, 'Markdown (.md)')
  const exportTxt = h('button', { type: 'button', class: 'menu-item', 'data-format': 'txt' }, 'Plain text (.txt)')
  const exportMenu = h('details', { class: 'menu export' }, h('summary', { class: 'button' }, 'Export'), h('div', { class: 'menu-items' }, exportMd, exportTxt))
  const host = h('main', { class: 'editor-host' })

  root.replaceChildren(
    h(
      'div',
      { class: 'document-page' },
      h(
        'header',
        { class: 'bar' },
        h('a', { class: 'home-link', href: '/', title: 'Quire home', 'aria-label': 'Quire home' }, logo()),
        h('h1', { class: 'document-name', title: name }, name),
        status,
        h(
          'div',
          { class: 'bar-end' },
          h('div', { class: 'tools' }, presence, share, exportMenu),
          h('label', { class: 'you-label' }, h('span', { class: 'label-text' }, 'You'), nameInput)
        )
      ),
      banner,
      host
    )
  )

  // A share link's token leaves the address bar at once; this tab remembers it (access-link.ts).
  const { token, clean } = takeToken(name, new URL(location.href))
  if (clean !== undefined) history.replaceState(history.state, '', clean)
  const hasToken = token !== undefined
  // The server shows others the name a token carries, whatever is typed here.
  const fixedName = tokenUser(token)
  const editor = createEditor({
    parent: host,
    serverUrl: serverUrl(),
    document: name,
    token,
    user: fixedName === undefined ? undefined : { name: fixedName },
    extensions: [editorSetup(), editorTheme()]
  })
  window.quire = editor

  const showPresence = (): void => renderPresence(presence, editor.user, editor.collaborators())
  renderStatus(status, banner, editor.status, { hasToken })
  editor.on('status', (next) => renderStatus(status, banner, next, { hasToken }))
  editor.on('collaborators', showPresence)
  showPresence()

  nameInput.value = editor.user.name
  if (fixedName !== undefined) {
    nameInput.readOnly = true
    nameInput.title = 'Your name comes from your access link'
  }
  nameInput.addEventListener('input', () => {
    const typed = nameInput.value.trim()
    if (typed === '') return
    editor.setUser({ name: typed })
    showPresence()
  })
  // A name typed blank is not taken: leaving the field shows the name in use again.
  nameInput.addEventListener('change', () => {
    nameInput.value = editor.user.name
  })

  share.addEventListener('click', () => {
    // The same access as this page: a read link shares reading, a write link writing.
    void shareLink(share, shareUrl(location.origin, name, token), (url) => {
      banner.hidden = false
      banner.dataset.tone = 'info'
      banner.textContent = `Copy this link to share the document: ${url}`
    })
  })
  document.addEventListener('click', (event) => {
    if (!exportMenu.contains(event.target as Node)) exportMenu.open = false
  })
  for (const button of [exportMd, exportTxt]) {
    button.addEventListener('click', () => {
      downloadText(editor.view.state.doc.toString(), exportFileName(name, button.dataset.format === 'md' ? 'md' : 'txt'))
      exportMenu.open = false
    })
  }
  // Typing can start at once with a keyboard; on touch screens focusing would pop up the
  // on-screen keyboard over the document before anyone asked for it.
  if (matchMedia('(pointer: fine)').matches) editor.view.focus()
}
