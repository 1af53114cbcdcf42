/**
 * A page that only explains something (a bad link, an unknown address) and offers a way on,
 * so a mistake never ends on a blank page.
 */
import { h, logo } from './dom.js'

/** Replace `root` with a headline, an explanation and a link home. */
export function renderMessagePage(root: HTMLElement, title: string, explanation: string): void {
  document.title = `${title} · Quire`
  root.replaceChildren(
    h(
      'main',
      { class: 'message-page' },
      h('a', { class: 'brand', href: '/' }, logo(), 'Quire'),
      h('h1', {}, title),
      h('p', {}, explanation),
      h('p', {}, h('a', { class: 'button primary', href: '/' }, 'Go to the home page'))
    )
  )
}
