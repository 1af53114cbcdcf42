/**
 * The History panel of the document page: the document's versions grouped by day, each with its
 * time span, its authors (in their caret colours, unverified names marked) and how much it added
 * and removed; a timeline to scrub through them; a filter for named versions. Choosing one opens
 * it in the version viewer (history-viewer.ts). The list follows the server's news of new versions
 * and restores (the editor's `history` event), so it is current without polling.
 */
import type { Extension } from '@codemirror/state'
import { type Author, authorColor, type EditorHandle, type Version } from '@quire/editor'
import { h } from './dom.js'
import { groupByDay, timeSpan } from './history-days.js'
import { versionViewer } from './history-viewer.js'
import './history.css'

/** What the page hands the panel. */
export interface HistoryPanelContext {
  editor: EditorHandle
  documentName: string
  /** The page's editor look, for read-only texts. */
  look(): Extension
}

/** The panel and viewer for the workspace. */
export interface HistoryPanel {
  readonly panel: HTMLElement
  readonly viewer: HTMLElement
  /** Open or close the panel. */
  open(on: boolean): void
}

const KIND_NOTE: Record<Version['kind'], string | undefined> = {
  edit: undefined,
  restore: 'restore',
  'before-restore': 'before a restore',
  import: 'first version'
}

/** An author's colour: the server's, else the caret colour of someone here by that name, else one from the name. */
export type ColorOf = (author: Author) => string

function authorChip(author: Author, colorOf: ColorOf): HTMLElement {
  return h(
    'span',
    {
      class: 'author',
      'data-verified': String(author.verified),
      title: author.verified ? author.name : `${author.name}: a name typed in the document, not checked`
    },
    h('span', { class: 'dot', style: `background-color: ${colorOf(author)}`, 'aria-hidden': 'true' }),
    author.name,
    author.verified ? null : h('span', { class: 'unverified' }, ' (unverified)')
  )
}

function versionItem(version: Version, selected: boolean, colorOf: ColorOf): HTMLElement {
  const kind = KIND_NOTE[version.kind]
  const button = h(
    'button',
    { type: 'button', class: 'version', 'data-id': version.id, 'data-kind': version.kind, 'aria-current': selected ? 'true' : undefined },
    h(
      'span',
      { class: 'version-head' },
      h('span', { class: 'version-time' }, timeSpan(version)),
      version.label === null ? null : h('span', { class: 'version-label' }, `“${version.label}”`),
      kind === undefined ? null : h('span', { class: 'version-kind' }, kind)
    ),
    h(
      'span',
      { class: 'version-authors' },
      ...(version.authors.length === 0
        ? [h('span', { class: 'author' }, version.added + version.removed === 0 ? 'no changes' : 'unknown authors')]
        : version.authors.map((author) => authorChip(author, colorOf)))
    ),
    h(
      'span',
      { class: 'version-counts', 'aria-label': `${version.added} characters added, ${version.removed} removed` },
      h('span', { class: 'added' }, `+${version.added}`),
      ' ',
      h('span', { class: 'removed' }, `−${version.removed}`)
    )
  )
  return h('li', {}, button)
}

/** The History panel for `context.editor`'s document, opened and closed by `button`. */
export function historyPanel(context: HistoryPanelContext, button: HTMLButtonElement): HistoryPanel {
  const { editor } = context
  const client = editor.history()
  const closeButton = h('button', { type: 'button', class: 'button close-history', 'aria-label': 'Close history' }, '×')
  const namedOnly = h('input', { type: 'checkbox', class: 'named-only' })
  const timeline = h('input', {
    type: 'range',
    class: 'timeline',
    min: '0',
    max: '0',
    value: '0',
    step: '1',
    'aria-label': 'Timeline: oldest to newest version'
  })
  const timelineNote = h('span', { class: 'timeline-note', 'aria-hidden': 'true' })
  const message = h('p', { class: 'history-message', role: 'status' })
  const list = h('div', { class: 'version-list' })
  const panel = h(
    'aside',
    { class: 'history-panel', id: 'history-panel', 'aria-labelledby': 'history-heading', hidden: true },
    h('div', { class: 'history-head' }, h('h2', { id: 'history-heading' }, 'History'), closeButton),
    h('label', { class: 'filter' }, namedOnly, ' Named versions only'),
    h('div', { class: 'timeline-row' }, timeline, timelineNote),
    message,
    list
  )

  /** Every version, newest first. */
  let all: Version[] = []
  /** The ones listed (all, or the named), newest first. */
  let listed: Version[] = []
  let selectedId: string | undefined
  let loading = 0

  const colorOf: ColorOf = (author) => {
    if (author.color !== null) return authorColor(author)
    const here = [editor.user, ...editor.collaborators()].find((person) => person.name === author.name)
    return here === undefined ? authorColor(author) : authorColor({ ...author, color: here.color })
  }

  const viewer = versionViewer({
    colorOf,
    client,
    editor,
    documentName: context.documentName,
    look: context.look,
    previousOf: (version) => {
      const index = all.findIndex((each) => each.id === version.id)
      return index === -1 ? undefined : all[index + 1]
    },
    changed: () => void load(),
    closed: () => select(undefined)
  })

  const render = (): void => {
    listed = namedOnly.checked ? all.filter((version) => version.label !== null) : all
    const days = groupByDay(listed, Date.now())
    // Re-rendering replaces the buttons: focus stays on the version it was on.
    const focused = list.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.id : undefined
    list.replaceChildren(
      ...days.map((day) =>
        h(
          'section',
          { class: 'day', 'aria-label': day.label },
          h('h3', {}, day.label),
          h('ul', {}, ...day.versions.map((version) => versionItem(version, version.id === selectedId, colorOf)))
        )
      )
    )
    if (focused !== undefined) list.querySelector<HTMLButtonElement>(`button.version[data-id="${CSS.escape(focused)}"]`)?.focus()
    timeline.max = String(Math.max(0, listed.length - 1))
    timeline.disabled = listed.length < 2
    const index = listed.findIndex((version) => version.id === selectedId)
    // The timeline runs oldest (left) to newest (right); the list is newest first.
    timeline.value = String(index === -1 ? listed.length - 1 : listed.length - 1 - index)
    const at = listed[listed.length - 1 - Number(timeline.value)]
    timeline.setAttribute('aria-valuetext', at === undefined ? 'No versions' : `${at.label ?? 'Version'} of ${timeSpan(at)}`)
    timelineNote.textContent = listed.length === 0 ? '' : `${Number(timeline.value) + 1} of ${listed.length}`
    if (listed.length === 0 && loading === 0) message.textContent = namedOnly.checked ? 'No named versions yet.' : 'No versions yet.'
  }

  const select = (id: string | undefined): void => {
    selectedId = id
    const version = all.find((each) => each.id === id)
    if (version === undefined) viewer.hide()
    else viewer.show(version)
    render()
  }

  const load = async (): Promise<void> => {
    loading++
    try {
      all = await client.versions()
      message.textContent = ''
      message.dataset.tone = 'info'
      // A version shown keeps being shown with its new details (a name, say).
      const shown = all.find((version) => version.id === viewer.version?.id)
      if (shown !== undefined) viewer.show(shown)
    } catch (error) {
      message.textContent = `History is unavailable: ${error instanceof Error ? error.message : String(error)}`
      message.dataset.tone = 'error'
    } finally {
      loading--
    }
    render()
  }

  const open = (on: boolean): void => {
    panel.hidden = !on
    button.setAttribute('aria-expanded', String(on))
    panel.closest('.document-page')?.classList.toggle('history-open', on)
    if (on) {
      void load()
      namedOnly.focus()
    } else {
      viewer.hide()
      selectedId = undefined
      button.focus()
    }
  }

  button.addEventListener('click', () => open(panel.hidden))
  closeButton.addEventListener('click', () => open(false))
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') open(false)
  })
  namedOnly.addEventListener('change', render)
  timeline.addEventListener('input', () => {
    const version = listed[listed.length - 1 - Number(timeline.value)]
    if (version !== undefined) select(version.id)
  })
  list.addEventListener('click', (event) => {
    const item = (event.target as Element).closest<HTMLButtonElement>('button.version')
    if (item !== null) select(item.dataset.id)
  })
  // Up and down move through the list, as in any list of choices.
  list.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return
    const buttons = [...list.querySelectorAll<HTMLButtonElement>('button.version')]
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement)
    const next = buttons[index + (event.key === 'ArrowDown' ? 1 : -1)]
    if (next === undefined) return
    event.preventDefault()
    next.focus()
    select(next.dataset.id)
  })
  editor.on('history', () => {
    if (!panel.hidden) void load()
  })
  editor.on('status', () => viewer.refreshAccess())

  return { panel, viewer: viewer.element, open }
}
