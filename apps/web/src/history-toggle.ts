/**
 * The History button of the document page. The panel, the diff view and `@codemirror/merge`
 * behind it load on the first click, so opening a document costs what it did before history.
 */
import { h } from './dom.js'
import type { HistoryPanelContext } from './history-panel.js'

/** A History button that, once pressed, adds the panel and viewer to `workspace` and opens them. */
export function historyToggle(context: HistoryPanelContext, workspace: HTMLElement): HTMLButtonElement {
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
