/**
 * The keyboard help: what the editor's keys do, including the one thing a keyboard user must
 * know, how to leave the editor (Tab indents there, so Escape then Tab moves on).
 */
import { h } from './dom.js'

const mac = /Mac|iPhone|iPad/.test(navigator.platform)
const mod = mac ? '⌘' : 'Ctrl'
const alt = mac ? '⌥' : 'Alt'

/** The shortcuts, as [keys, what they do]. */
export const SHORTCUTS: ReadonlyArray<readonly [string, string]> = [
  ['Esc, then Tab', 'Leave the editor (Tab alone indents)'],
  [mac ? '⇧⌥M' : 'Ctrl+M', 'Switch Tab between indenting and moving focus'],
  [`${mod}+Z`, 'Undo your own last change'],
  [mac ? '⇧⌘Z' : 'Ctrl+Y', 'Redo'],
  [`${mod}+F`, 'Find and replace'],
  [`${mod}+${alt}+G`, 'Go to line'],
  ['Enter', 'New line; in a list, the next item'],
  ['Tab / Shift+Tab', 'Indent / outdent'],
  [`${alt}+↑ / ${alt}+↓`, 'Move the line up / down'],
  [`${mod}+D`, 'Select the next occurrence'],
  [`${mod}+Shift+K`, 'Delete the line']
]

/** A "?" button that opens the keyboard help. */
export function shortcutsButton(): HTMLElement {
  const close = h('button', { type: 'button', class: 'button' }, 'Close')
  const dialog = h(
    'dialog',
    { class: 'shortcuts', 'aria-labelledby': 'shortcuts-title' },
    h('h2', { id: 'shortcuts-title' }, 'Keyboard shortcuts'),
    h('dl', {}, ...SHORTCUTS.flatMap(([keys, what]) => [h('dt', {}, h('kbd', {}, keys)), h('dd', {}, what)])),
    h('p', { class: 'muted' }, 'Markdown works: # heading, **bold**, *italic*, - list, > quote, `code`. Drop a .md or .txt file on the text to insert it.'),
    h('form', { method: 'dialog' }, close)
  )
  const button = h('button', { type: 'button', class: 'button help', title: 'Keyboard shortcuts', 'aria-label': 'Keyboard shortcuts' }, '?')
  button.addEventListener('click', () => dialog.showModal())
  dialog.addEventListener('click', (event) => {
    // A click on the backdrop (the dialog box itself, outside its content) closes it.
    if (event.target === dialog) dialog.close()
  })
  return h('span', { class: 'help-control' }, button, dialog)
}

/** The sentence screen readers hear on entering the editor, about leaving it. */
export const LEAVE_EDITOR_HINT = 'Tab indents in the text. To leave the text with the keyboard, press Escape, then Tab.'
