/**
 * The Preview toggle: the rendered Markdown beside the text on wide screens, in its place on
 * phones. It follows the text as it changes, a moment after changes pause, so rendering a long
 * document never slows typing down.
 */
import type { EditorView } from '@codemirror/view'
import { h } from './dom.js'
import { renderState } from './markdown-preview.js'

/** How long the preview waits after a change before rendering again. */
export const PREVIEW_DELAY_MS = 250

/**
 * A "Preview" toggle button showing `view`'s document in `preview`; `page` gets the class
 * `previewing` while it shows. `onChange` subscribes to the document's changes, local or remote.
 */
export function previewToggle(view: EditorView, preview: HTMLElement, page: HTMLElement, onChange: (listener: () => void) => void): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'button preview-toggle', 'aria-pressed': 'false', title: 'Show the Markdown rendered' }, 'Preview')
  let timer: ReturnType<typeof setTimeout> | undefined
  const render = (): void => {
    clearTimeout(timer)
    timer = undefined
    if (!preview.hidden) renderState(preview, view.state)
  }
  onChange(() => {
    if (preview.hidden || timer !== undefined) return
    timer = setTimeout(render, PREVIEW_DELAY_MS)
  })
  button.addEventListener('click', () => {
    const on = preview.hidden
    preview.hidden = !on
    page.classList.toggle('previewing', on)
    button.setAttribute('aria-pressed', String(on))
    if (on) render()
  })
  return button
}
