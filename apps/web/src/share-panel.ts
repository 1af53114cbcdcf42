/**
 * The Share menu: it copies the document's link when opened and says what sharing means on
 * this server. On an open server anyone with the link can read and edit; with access links,
 * the link passes on this page's own access. The confirmation sits in the panel, so the header
 * never reflows (a "Link copied" button once widened and pushed the header about on phones).
 */
import { h } from './dom.js'
import { closeLikeAMenu } from './menus.js'
import type { ServerMode } from './server-mode.js'

/** What the panel needs to know. */
export interface ShareContext {
  /** The link to share. */
  url: string
  /** The page holds an access token, and the link carries it. */
  hasToken: boolean
  /** The page may only read. */
  readOnly: () => boolean
  /** What the app knows about the server. */
  mode: () => ServerMode
}

/** What sharing `context.url` means, in a sentence. */
export function sharingMeans(context: Pick<ShareContext, 'hasToken'> & { readOnly: boolean; mode: ServerMode }): string {
  if (context.hasToken) {
    return context.readOnly
      ? 'This link carries your access, which only allows reading: whoever opens it can read this document, not edit it, until the access expires.'
      : 'This link carries your access: whoever opens it can read and edit this document, until the access expires.'
  }
  if (context.mode === 'open') return 'This server is open: anyone with this link, or anyone who guesses the address, can read and edit this document.'
  return 'Whoever opens this link gets the access the server gives them.'
}

/** The Share menu for the document page. */
export function sharePanel(context: ShareContext): HTMLDetailsElement {
  const field = h('input', { class: 'share-url', readonly: true, 'aria-label': 'Link to this document', value: context.url })
  const result = h('p', { class: 'share-result', role: 'status' })
  const means = h('p', { class: 'share-means' })
  const copy = h('button', { type: 'button', class: 'button copy-link' }, 'Copy link')
  const menu = h(
    'details',
    { class: 'menu share' },
    h('summary', { class: 'button primary' }, 'Share'),
    h('div', { class: 'menu-items share-panel' }, result, h('div', { class: 'row' }, field, copy), means)
  )
  const copyLink = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(context.url)
      result.textContent = 'Link copied ✓'
      result.dataset.tone = 'ok'
    } catch {
      // No clipboard access (an insecure origin, a denied permission): let people copy by hand.
      result.textContent = 'Copy this link:'
      result.dataset.tone = 'info'
      field.focus()
      field.select()
    }
  }
  menu.addEventListener('toggle', () => {
    if (!menu.open) return
    means.textContent = sharingMeans({ hasToken: context.hasToken, readOnly: context.readOnly(), mode: context.mode() })
    result.textContent = ''
    void copyLink()
  })
  copy.addEventListener('click', () => void copyLink())
  closeLikeAMenu(menu)
  return menu
}
