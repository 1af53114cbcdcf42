/**
 * The document page: the editor under a header with the name, status, people, your name,
 * preview, share, import, export and keyboard help, and a footer with the counts.
 */
import { createEditor, type EditorHandle, type EditorStatus } from '@quire/editor'
import { shareUrl, takeToken, tokenUser } from './access-link.js'
import { jumpToCollaborator } from './collaborator-caret.js'
import { documentStatsView } from './document-stats-view.js'
import { h, logo } from './dom.js'
import { editorSetup } from './editor-setup.js'
import { editorTheme } from './editor-theme.js'
import { downloadText, exportFileName } from './export-document.js'
import { historyToggle } from './history-toggle.js'
import { importButton } from './import-document.js'
import { closeLikeAMenu } from './menus.js'
import { offlineReloadAvailable } from './offline-reload.js'
import { renderPresence } from './presence-view.js'
import { previewToggle } from './preview-view.js'
import { documentTitle, forgetDocument, rememberDocument } from './recent-documents.js'
import { knownServerMode, modeFromStatus, OPEN_SERVER_WARNING, rememberServerMode } from './server-mode.js'
import { sharePanel } from './share-panel.js'
import { LEAVE_EDITOR_HINT, shortcutsButton } from './shortcuts-dialog.js'
import { canStartAgain, renderStatus, type StatusContext } from './status-view.js'

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
  // What the person called it, when the name had to be made valid (home-page.ts).
  const title = documentTitle(name) ?? name
  document.title = `${title} · Quire`
  rememberDocument(name)

  const status = h('span', { class: 'status', role: 'status' })
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true })
  // When syncing stopped over one of this browser's changes: the way out that loses nothing.
  const startAgain = h('button', { type: 'button', class: 'button' }, "Download my copy and start again from the server's")
  const recovery = h('div', { class: 'action-bar recovery', hidden: true }, startAgain)
  // What the editor refused before it happened (a change too large to send).
  const noticeText = h('span', {})
  const dismiss = h('button', { type: 'button', class: 'button' }, 'OK')
  const notice = h('div', { class: 'action-bar notice', role: 'alert', hidden: true }, noticeText, dismiss)
  const presence = h('div', { class: 'presence' })
  const nameInput = h('input', { class: 'your-name', 'aria-label': 'Your name', maxlength: '40', autocomplete: 'nickname', spellcheck: 'false' })
  const exportMd = h('button', { type: 'button', class: 'menu-item', 'data-format': 'md' }, 'Markdown (.md)')
  const exportTxt = h('button', { type: 'button', class: 'menu-item', 'data-format': 'txt' }, 'Plain text (.txt)')
  const exportMenu = h('details', { class: 'menu export' }, h('summary', { class: 'button' }, 'Export'), h('div', { class: 'menu-items' }, exportMd, exportTxt))
  const host = h('div', { class: 'editor-host' })
  const preview = h('section', { class: 'preview', 'aria-label': 'Preview', hidden: true })
  const leaveHint = h('p', { id: 'leave-editor-hint', class: 'visually-hidden' }, LEAVE_EDITOR_HINT)
  const footer = h('footer', { class: 'document-footer' })

  root.replaceChildren(
    h(
      'div',
      { class: 'document-page' },
      h(
        'header',
        { class: 'bar' },
        h('a', { class: 'home-link', href: '/', title: 'Quire home', 'aria-label': 'Quire home' }, logo()),
        h('h1', { class: 'document-name', title: name }, title),
        status,
        h(
          'div',
          { class: 'bar-end' },
          h('div', { class: 'tools' }, presence),
          h('label', { class: 'you-label' }, h('span', { class: 'label-text' }, 'You'), nameInput)
        )
      ),
      banner,
      recovery,
      notice,
      h('main', { class: 'workspace' }, host, preview),
      footer,
      leaveHint
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
  editor.view.contentDOM.setAttribute('aria-describedby', leaveHint.id)

  const tools = root.querySelector<HTMLElement>('.tools')!
  const share = sharePanel({
    url: shareUrl(location.origin, name, token),
    hasToken,
    readOnly: () => editor.status.readOnly,
    mode: knownServerMode,
    makeLink: async (access) => shareUrl(location.origin, name, (await editor.document.share(access)).token)
  })
  // Every change, typed here or arriving from others, passes through the shared text.
  const onChange = (listener: () => void): void => editor.document.text.observe(listener)
  const importControl = importButton(editor.view)
  tools.append(previewToggle(editor.view, preview, root.querySelector('.document-page')!, onChange), share, importControl, exportMenu, shortcutsButton())
  tools.append(historyToggle({ editor, documentName: name, look: editorTheme }, root.querySelector('.workspace')!, footer))
  closeLikeAMenu(exportMenu)
  documentStatsView(editor.view, footer, onChange)
  const openNote = h('span', { class: 'open-note', hidden: true, title: OPEN_SERVER_WARNING }, 'Open server: anyone with the address can read and edit')
  footer.append(openNote)

  const showPresence = (): void => renderPresence(presence, editor.user, editor.collaborators(), (collaborator) => jumpToCollaborator(editor, collaborator))
  const context = (): StatusContext => ({ hasToken, online: navigator.onLine, offlineReload: offlineReloadAvailable() })
  const onStatus = (next: EditorStatus): void => {
    renderStatus(status, banner, next, context())
    const mode = modeFromStatus(next, hasToken)
    rememberServerMode(mode)
    openNote.hidden = knownServerMode() !== 'open' || hasToken
    importControl.querySelector('button')!.disabled = next.readOnly
    recovery.hidden = !canStartAgain(next)
    // No access: nothing here can be shared, exported or edited, and the document should not
    // be offered again from the home page.
    if (next.connection === 'unauthorized' || next.connection === 'forbidden') {
      tools.hidden = true
      footer.hidden = true
      forgetDocument(name)
    }
  }
  onStatus(editor.status)
  editor.on('status', onStatus)
  // The server says whether it is open; until then the page goes by what it has seen.
  void editor.document.serverInfo().then((info) => {
    rememberServerMode(info.access)
    onStatus(editor.status)
  })
  editor.on('notice', (message) => {
    noticeText.textContent = message
    notice.hidden = false
  })
  dismiss.addEventListener('click', () => {
    notice.hidden = true
    editor.view.focus()
  })
  startAgain.addEventListener('click', async () => {
    downloadText(editor.view.state.doc.toString(), exportFileName(name, 'md'))
    // The local copy holds the change the server will not take; the file now holds it all.
    await editor.document.cache?.clearData()
    location.reload()
  })
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

  for (const button of [exportMd, exportTxt]) {
    button.addEventListener('click', () => {
      downloadText(editor.view.state.doc.toString(), exportFileName(name, button.dataset.format === 'md' ? 'md' : 'txt'))
      exportMenu.open = false
    })
  }
  // Typing can start at once with a keyboard; on touch screens focusing would pop up the
  // on-screen keyboard over the document before anyone asked for it. The editor cannot take
  // focus while it waits for the server's word (read-only), so it takes it once it may edit,
  // unless the person has gone elsewhere meanwhile.
  if (matchMedia('(pointer: fine)').matches) {
    const focusWhenEditable = (next: EditorStatus): void => {
      if (next.readOnly) return
      editor.off('status', focusWhenEditable)
      if (document.activeElement === null || document.activeElement === document.body) editor.view.focus()
    }
    if (editor.status.readOnly) editor.on('status', focusWhenEditable)
    else editor.view.focus()
  }
}
