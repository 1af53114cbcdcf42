/**
 * The footer's word and character counts, kept up to date a moment after changes pause: counting
 * a long document on every keystroke would cost typing speed.
 */
import type { EditorView } from '@codemirror/view'
import { statsLabel, textStats } from './document-stats.js'
import { h } from './dom.js'

/** How long the counts wait after a change. */
export const STATS_DELAY_MS = 300

/** Show `view`'s counts in `footer`; `onChange` subscribes to the document's changes. */
export function documentStatsView(view: EditorView, footer: HTMLElement, onChange: (listener: () => void) => void): void {
  const counts = h('span', { class: 'counts' })
  footer.append(counts)
  let timer: ReturnType<typeof setTimeout> | undefined
  const update = (): void => {
    timer = undefined
    counts.textContent = statsLabel(textStats(view.state.doc.toString()))
  }
  update()
  onChange(() => {
    if (timer === undefined) timer = setTimeout(update, STATS_DELAY_MS)
  })
}
