/**
 * One version, read-only, beside the live text (in its place on phones): the version's text,
 * what changed since the version before, what changed from it to now, or who wrote each stretch.
 * The live document keeps syncing meanwhile, and the viewer says how many changes arrived since
 * the version was opened. From here a person copies or downloads the version and, with write
 * access, names it or restores it (and undoes the restore).
 */
import { EditorState, type Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { type Author, authorLabel, authorshipMarks, type EditorHandle, type HistoryClient, type RestoreResult, type Version, versionDiff } from '@quire/editor'
import { h } from './dom.js'
import { downloadText, exportFileName } from './export-document.js'
import { dayLabel, timeSpan } from './history-days.js'

/** What the viewer shows of a version. */
export type ViewMode = 'text' | 'previous' | 'now' | 'authors'

const MODES: ReadonlyArray<[ViewMode, string, string]> = [
  ['text', 'Text', 'The text of this version'],
  ['previous', 'Changes', 'What changed since the version before'],
  ['now', 'Compare with now', 'What changed from this version to the live text'],
  ['authors', 'Authors', 'Who wrote each stretch of this version']
]

/** What the viewer works with. */
export interface ViewerContext {
  client: HistoryClient
  /** The live editor: its text, its changes, whether it may write. */
  editor: EditorHandle
  /** The document's name, for downloads. */
  documentName: string
  /** The version before `version`, if any. */
  previousOf(version: Version): Version | undefined
  /** Versions changed here (named, restored): list them again. */
  changed(): void
  /** The person closed the viewer. */
  closed(): void
  /** The page's editor look (theme, language) for the read-only text. */
  look(): Extension
  /** The colour to show for an author (their caret's, when known). */
  colorOf(author: Author): string
}

/** The viewer's element and what the panel does with it. */
export interface VersionViewer {
  readonly element: HTMLElement
  /** Show `version` (in the current mode). */
  show(version: Version): void
  /** The version shown, if any. */
  readonly version: Version | undefined
  /** Hide and let go of the version. */
  hide(): void
  /** Write access may have changed: show or hide name and restore. */
  refreshAccess(): void
}

/** The viewer for the document page. */
export function versionViewer(context: ViewerContext): VersionViewer {
  const { client, editor } = context
  const title = h('h2', { class: 'viewer-title', id: 'history-viewer-title' })
  const modeButtons = MODES.map(([mode, label, hint]) =>
    h('button', { type: 'button', class: 'button mode', 'data-mode': mode, 'aria-pressed': 'false', title: hint }, label)
  )
  const copy = h('button', { type: 'button', class: 'button', 'data-action': 'copy' }, 'Copy')
  const download = h('button', { type: 'button', class: 'button', 'data-action': 'download' }, 'Download')
  const nameButton = h('button', { type: 'button', class: 'button', 'data-action': 'name', 'aria-expanded': 'false' }, 'Name…')
  const restore = h(
    'button',
    {
      type: 'button',
      class: 'button primary',
      'data-action': 'restore',
      'aria-label': 'Restore this version',
      title: 'Make this version the text for everyone'
    },
    'Restore'
  )
  const close = h(
    'button',
    { type: 'button', class: 'button close-version', 'data-action': 'close', 'aria-label': 'Close this version', title: 'Close this version' },
    '×'
  )
  const nameInput = h('input', { class: 'version-name', maxlength: '200', 'aria-label': 'Name of this version', placeholder: 'Sent to the editor' })
  const nameForm = h(
    'form',
    { class: 'name-form', hidden: true },
    nameInput,
    h('button', { type: 'submit', class: 'button primary' }, 'Save name'),
    h('button', { type: 'button', class: 'button', 'data-action': 'cancel-name' }, 'Cancel')
  )
  const live = h('p', { class: 'live-note', role: 'status' })
  const message = h('p', { class: 'viewer-message', role: 'status' })
  const legend = h(
    'p',
    { class: 'diff-legend', hidden: true },
    h('ins', {}, 'underlined'),
    ': added · ',
    h('del', {}, 'struck through'),
    ': removed · folded bars hide unchanged lines (click to open)'
  )
  const authors = h('p', { class: 'authors-legend', hidden: true })
  const host = h('div', { class: 'viewer-text' })
  const element = h(
    'section',
    { class: 'history-viewer', 'aria-labelledby': title.id, hidden: true },
    h(
      'div',
      { class: 'viewer-bar' },
      h('div', { class: 'viewer-head' }, title, close),
      h('div', { class: 'viewer-modes', role: 'group', 'aria-label': 'Show' }, ...modeButtons),
      h('div', { class: 'viewer-actions', role: 'group', 'aria-label': 'Version actions' }, copy, download, nameButton, restore)
    ),
    nameForm,
    message,
    live,
    legend,
    authors,
    host
  )

  let shown: Version | undefined
  let mode: ViewMode = 'text'
  let view: EditorView | undefined
  let arrived = 0
  // A newer request supersedes an older one still in flight (scrubbing the timeline fires many).
  let request = 0
  const texts = new Map<string, Promise<string>>()
  const textOf = (id: string): Promise<string> => {
    let text = texts.get(id)
    if (text === undefined) {
      text = client.text(id)
      text.catch(() => texts.delete(id))
      texts.set(id, text)
    }
    return text
  }
  const canWrite = (): boolean => !editor.status.readOnly
  const say = (text: string, tone: 'ok' | 'error' | 'info' = 'info', ...extra: Node[]): void => {
    message.replaceChildren(text, ...extra)
    message.dataset.tone = tone
  }
  const sayLive = (): void => {
    live.textContent =
      arrived === 0
        ? 'The live document keeps syncing beside this version.'
        : `The live document keeps syncing: ${arrived} ${arrived === 1 ? 'change has' : 'changes have'} arrived since you opened this version.`
  }
  editor.document.text.observe((event) => {
    if (shown === undefined || event.transaction.local) return
    arrived++
    sayLive()
  })

  const readOnlyText = (doc: string, extensions: Extension): EditorView =>
    new EditorView({
      parent: host,
      state: EditorState.create({
        doc,
        extensions: [context.look(), EditorState.readOnly.of(true), EditorView.editable.of(false), EditorView.lineWrapping, extensions]
      })
    })

  const render = async (): Promise<void> => {
    const version = shown
    if (version === undefined) return
    const mine = ++request
    for (const button of modeButtons) button.setAttribute('aria-pressed', String(button.dataset.mode === mode))
    legend.hidden = mode !== 'previous' && mode !== 'now'
    authors.hidden = mode !== 'authors'
    host.setAttribute('aria-busy', 'true')
    try {
      let doc: string
      let extensions: Extension = []
      if (mode === 'text') doc = await textOf(version.id)
      else if (mode === 'previous') {
        const previous = context.previousOf(version)
        const [before, after] = await Promise.all([previous === undefined ? '' : textOf(previous.id), textOf(version.id)])
        doc = after
        extensions = versionDiff({ original: before })
      } else if (mode === 'now') {
        doc = editor.view.state.doc.toString()
        extensions = versionDiff({ original: await textOf(version.id) })
      } else {
        const [text, spans] = await Promise.all([textOf(version.id), client.authorship(version.id)])
        doc = text
        extensions = authorshipMarks(spans.map((span) => ({ ...span, author: { ...span.author, color: context.colorOf(span.author) } })))
        const people = new Map(spans.map((span) => [authorLabel(span.author), span.author]))
        authors.replaceChildren(
          people.size === 0 ? 'No one wrote this text yet.' : 'Written by ',
          ...[...people].flatMap(([label, author], index) => [
            index === 0 ? '' : ', ',
            h('span', { class: 'author-key', style: `--author-color: ${context.colorOf(author)}` }, label)
          ]),
          people.size === 0 ? '' : '. Each stretch is underlined in its author’s colour and starts with their name; hover for the time.'
        )
      }
      if (mine !== request) return
      view?.destroy()
      view = readOnlyText(doc, extensions)
      view.contentDOM.setAttribute('aria-label', `${title.textContent}: ${MODES.find(([m]) => m === mode)![2].toLowerCase()}`)
      host.dataset.mode = mode
      host.dataset.version = version.id
      if (message.dataset.tone === 'error') say('')
    } catch (error) {
      if (mine === request) say(`Could not open this version: ${reason(error)}`, 'error')
    } finally {
      if (mine === request) host.removeAttribute('aria-busy')
    }
  }

  const refreshAccess = (): void => {
    nameButton.hidden = restore.hidden = !canWrite()
    if (!canWrite()) nameForm.hidden = true
  }

  const show = (version: Version): void => {
    const changedVersion = shown?.id !== version.id
    shown = version
    element.hidden = false
    context.editor.view.dom.closest('.document-page')?.classList.add('viewing-version')
    title.textContent = `${version.label ?? 'Version'} · ${dayLabel(version.end, Date.now())} ${timeSpan(version)}`
    refreshAccess()
    if (changedVersion) {
      arrived = 0
      nameForm.hidden = true
      nameButton.setAttribute('aria-expanded', 'false')
      say('')
      sayLive()
    }
    void render()
  }

  const hide = (): void => {
    shown = undefined
    request++
    view?.destroy()
    view = undefined
    element.hidden = true
    context.editor.view.dom.closest('.document-page')?.classList.remove('viewing-version')
  }

  for (const button of modeButtons) {
    button.addEventListener('click', () => {
      mode = button.dataset.mode as ViewMode
      void render()
    })
  }
  copy.addEventListener('click', async () => {
    if (shown === undefined) return
    try {
      await navigator.clipboard.writeText(await textOf(shown.id))
      say('Copied this version’s text ✓', 'ok')
    } catch (error) {
      say(`Could not copy: ${reason(error)}. Select the text and copy it by hand.`, 'error')
    }
  })
  download.addEventListener('click', async () => {
    if (shown === undefined) return
    try {
      const base = exportFileName(context.documentName, 'md').replace(/\.md$/, '')
      downloadText(await textOf(shown.id), `${base} (${new Date(shown.end).toISOString().slice(0, 16).replace(':', '-')}).md`)
    } catch (error) {
      say(`Could not download: ${reason(error)}`, 'error')
    }
  })
  nameButton.addEventListener('click', () => {
    const open = nameForm.hidden
    nameForm.hidden = !open
    nameButton.setAttribute('aria-expanded', String(open))
    if (open) {
      nameInput.value = shown?.label ?? ''
      nameInput.focus()
    }
  })
  nameForm.querySelector('[data-action="cancel-name"]')!.addEventListener('click', () => {
    nameForm.hidden = true
    nameButton.setAttribute('aria-expanded', 'false')
    nameButton.focus()
  })
  nameForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (shown === undefined) return
    const label = nameInput.value.trim()
    try {
      const named = await client.name(shown.id, label === '' ? null : label)
      nameForm.hidden = true
      nameButton.setAttribute('aria-expanded', 'false')
      say(named.label === null ? 'Name removed.' : `Named “${named.label}”.`, 'ok')
      show(named)
      context.changed()
    } catch (error) {
      say(`Not named: ${reason(error)}`, 'error')
    }
  })
  const restoreVersion = async (version: Version, undoing: boolean): Promise<void> => {
    let result: RestoreResult
    try {
      restore.disabled = true
      result = await client.restore(version.id)
    } catch (error) {
      say(`Not restored: ${reason(error)}`, 'error')
      return
    } finally {
      restore.disabled = false
    }
    if (undoing) {
      say('Restore undone: the text is back as it was before the restore.', 'ok')
    } else {
      const undo = h('button', { type: 'button', class: 'button', 'data-action': 'undo-restore' }, 'Undo restore')
      undo.addEventListener('click', () => void restoreVersion(result.before, true))
      say(`Restored the version of ${timeSpan(version)}. Everyone now has this text. `, 'ok', undo)
    }
    context.changed()
  }
  restore.addEventListener('click', () => {
    if (shown !== undefined) void restoreVersion(shown, false)
  })
  close.addEventListener('click', () => {
    hide()
    context.closed()
  })

  return {
    element,
    show,
    get version() {
      return shown
    },
    hide,
    refreshAccess
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
