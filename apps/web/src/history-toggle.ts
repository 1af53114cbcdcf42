/**
 * The History button of the document page. The panel, the diff view and `@codemirror/merge`
 * behind it load on the first click, so opening a document costs what it did before history.
 */
import { h } from './dom.js'
import type { HistoryPanelContext } from './history-panel.js'

/** How long the footer says that the text was restored. */
export const RESTORE_NEWS_MS = 20_000

/**
 * A History button that, once pressed, adds the panel and viewer to `workspace` and opens them.
 * Whether or not it was pressed, `footer` says when someone restores a version, since the text
 * then changes for everyone at once.
 */
export function historyToggle(context: HistoryPanelContext, workspace: HTMLElement, footer: HTMLElement): HTMLButtonElement {
  const news = h('span', { class: 'history-news', role: 'status' })
  footer.append(news)
  let clear: ReturnType<typeof setTimeout> | undefined
  context.editor.on('history', ({ event, version }) => {
    if (event !== 'restore') return
    const at = new Date(version.end).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    news.textContent = `An earlier version was restored at ${at}: the text changed for everyone (see History).`
    clearTimeout(clear)
    clear = setTimeout(() => (news.textContent = ''), RESTORE_NEWS_MS)
  })
  const button = h(
    'button',
    { type: 'button', class: 'button history-toggle', 'aria-expanded': 'false', 'aria-controls': 'history-panel', style: 'order: 4' },
    'History'
  )
  // Later clicks go to the panel's own listener, added while this one runs.
  button.addEventListener(
    'click',
    async () => {
      button.setAttribute('aria-busy', 'true')
      try {
        const { historyPanel } = await import('./history-panel.js')
        const panel = historyPanel(context, button)
        workspace.append(panel.viewer, panel.panel)
        panel.open(true)
      } finally {
        button.removeAttribute('aria-busy')
      }
    },
    { once: true }
  )
  return button
}
