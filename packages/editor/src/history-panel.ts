/**
 * A ready-made history panel for an embedded editor: a CodeMirror panel under the text that lists
 * the document's versions, shows what changed from a chosen version to now, and restores it when
 * the token allows writing. It refreshes when the server announces a version or a restore. Apps
 * that want more (a timeline, authorship) build on the same pieces: `history`, `versionDiff` and
 * `authorshipMarks`.
 */
import type { Extension } from '@codemirror/state'
import { EditorView, type Panel, showPanel } from '@codemirror/view'
import { authorLabel } from './authorship-marks.js'
import type { Version } from './history-client.js'
import type { OpenDocument } from './open-document.js'
import { versionDiff } from './version-diff.js'

/** Options for {@link historyPanel}. */
export interface HistoryPanelOptions {
  /** Date and time formatting (default: the browser's). */
  locale?: string
}

/** One line for a version in a list: "14:02–14:20 · Ada, Bob · +120 −4 · “Sent”". */
export function versionSummary(version: Version, locale?: string): string {
  const time = (ms: number): string => new Date(ms).toLocaleString(locale, { dateStyle: 'short', timeStyle: 'short' })
  const span = version.end - version.start < 60_000 ? time(version.end) : `${time(version.start)} – ${time(version.end)}`
  const who = version.authors.map(authorLabel).join(', ') || 'nobody'
  const name = version.label === null ? '' : ` · “${version.label}”`
  const kind = version.kind === 'restore' ? ' · restore' : version.kind === 'before-restore' ? ' · before a restore' : ''
  return `${span} · ${who} · +${version.added} −${version.removed}${name}${kind}`
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string>, text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.textContent = text
  return node
}

const panelTheme = EditorView.baseTheme({
  '.cm-quire-history': { padding: '6px 8px', display: 'flex', flexDirection: 'column', gap: '6px', fontFamily: 'system-ui, sans-serif', fontSize: '14px' },
  '.cm-quire-history-row': { display: 'flex', flexWrap: 'wrap', gap: '6px', alignItems: 'center' },
  '.cm-quire-history select': { flex: '1 1 16em', minWidth: '0', font: 'inherit' },
  '.cm-quire-history-diff': { maxHeight: '40vh', overflow: 'auto', border: '1px solid color-mix(in srgb, currentColor 25%, transparent)' }
})

function createPanel(view: EditorView, open: OpenDocument, options: HistoryPanelOptions): Panel {
  const client = open.history()
  const dom = element('section', { class: 'cm-quire-history', 'aria-label': 'History' })
  const select = element('select', { 'aria-label': 'Version' })
  const show = element('button', { type: 'button', class: 'cm-button', 'aria-pressed': 'false' }, 'Changes since')
  const restore = element('button', { type: 'button', class: 'cm-button' }, 'Restore')
  const message = element('p', { role: 'status', style: 'margin: 0' })
  const diffHost = element('div', { class: 'cm-quire-history-diff', hidden: '' })
  const row = element('div', { class: 'cm-quire-history-row' })
  row.append(select, show, restore)
  dom.append(row, message, diffHost)
  let versions: Version[] = []
  let diffView: EditorView | undefined

  const selected = (): Version | undefined => versions.find((version) => version.id === select.value)
  const say = (text: string): void => {
    message.textContent = text
  }
  const closeDiff = (): void => {
    diffView?.destroy()
    diffView = undefined
    diffHost.hidden = true
    show.setAttribute('aria-pressed', 'false')
  }
  const refresh = async (): Promise<void> => {
    try {
      const keep = select.value
      versions = await client.versions()
      select.replaceChildren(...versions.map((version) => element('option', { value: version.id }, versionSummary(version, options.locale))))
      if (versions.some((version) => version.id === keep)) select.value = keep
      restore.hidden = open.status.readOnly
      if (versions.length === 0) say('No versions yet.')
    } catch (error) {
      say(`History is unavailable: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  show.addEventListener('click', async () => {
    if (diffView !== undefined) return closeDiff()
    const version = selected()
    if (version === undefined) return
    try {
      const original = await client.text(version.id)
      diffView = new EditorView({ parent: diffHost, doc: view.state.doc, extensions: versionDiff({ original }) })
      diffHost.hidden = false
      show.setAttribute('aria-pressed', 'true')
      say('Underlined: added since that version; struck through: removed since.')
    } catch (error) {
      say(`Could not open that version: ${error instanceof Error ? error.message : String(error)}`)
    }
  })
  select.addEventListener('change', closeDiff)
  restore.addEventListener('click', async () => {
    const version = selected()
    if (version === undefined) return
    restore.disabled = true
    try {
      await client.restore(version.id)
      closeDiff()
      say('Restored. The version from just before is in the list, to undo it.')
    } catch (error) {
      say(`Not restored: ${error instanceof Error ? error.message : String(error)}`)
    } finally {
      restore.disabled = false
    }
  })
  const onHistory = (): void => void refresh()
  const onStatus = (): void => {
    restore.hidden = open.status.readOnly
  }
  open.on('history', onHistory)
  open.on('status', onStatus)
  void refresh()
  return {
    dom,
    destroy() {
      closeDiff()
      open.off('history', onHistory)
      open.off('status', onStatus)
    }
  }
}

/** A panel under the editor listing `open`'s versions, with "changes since" and (with write access) restore. */
export function historyPanel(open: OpenDocument, options: HistoryPanelOptions = {}): Extension {
  return [showPanel.of((view) => createPanel(view, open, options)), panelTheme]
}
