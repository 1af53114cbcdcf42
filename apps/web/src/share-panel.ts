/**
 * The Share menu. On a server with access links, a person who may edit gets an edit link and a
 * view-only link, made by the server from their own access (never more, never longer, never in
 * their name); a person who may only read gets a view link. On an open server there is one link,
 * the address, and the panel says what that means. Opening the panel copies the link that
 * matches the person's own access. The confirmation sits in the panel, so the header never
 * reflows (a "Link copied" button once widened and pushed the header about on phones).
 */
import { h } from './dom.js'
import { closeLikeAMenu } from './menus.js'
import type { ServerMode } from './server-mode.js'

/** What the panel needs to know. */
export interface ShareContext {
  /** This page's own link (with its token, if any). */
  url: string
  /** The page holds an access token. */
  hasToken: boolean
  /** The page may only read. */
  readOnly: () => boolean
  /** What the app knows about the server. */
  mode: () => ServerMode
  /** Make a link with `access` from this page's token; rejects with the server's reason. */
  makeLink: (access: 'read' | 'write') => Promise<string>
}

/** What sharing means here, in a sentence or two. */
export function sharingMeans(context: Pick<ShareContext, 'hasToken'> & { readOnly: boolean; mode: ServerMode }): string {
  if (context.mode === 'open') {
    return 'This server is open: anyone with this link, or anyone who guesses the address, can read and edit this document. View-only links need a server that uses access links.'
  }
  if (context.hasToken) {
    return context.readOnly
      ? 'The view link lets whoever opens it read this document, not edit it, until your own access expires.'
      : 'The edit link lets whoever opens it read and edit this document; the view link only lets them read it. Both stop working when your own access expires.'
  }
  return 'Whoever opens this link gets the access the server gives them.'
}

type Access = 'read' | 'write'

const LABELS: Record<Access, string> = { write: 'Edit link', read: 'View link' }

interface LinkRow {
  row: HTMLElement
  field: HTMLInputElement
  copy: HTMLButtonElement
}

function linkRow(access: Access, label: string): LinkRow {
  const id = `share-${access}`
  const field = h('input', { id, class: 'share-url', readonly: true, 'data-access': access })
  const copy = h('button', { type: 'button', class: 'button copy-link', 'data-access': access, 'aria-label': `Copy the ${label.toLowerCase()}` }, 'Copy')
  const row = h('div', { class: 'share-link' }, h('label', { class: 'share-label', for: id }, label), h('div', { class: 'row' }, field, copy))
  return { row, field, copy }
}

/** The Share menu for the document page. */
export function sharePanel(context: ShareContext): HTMLDetailsElement {
  const result = h('p', { class: 'share-result', role: 'status' })
  const means = h('p', { class: 'share-means' })
  const rows = { write: linkRow('write', LABELS.write), read: linkRow('read', LABELS.read) }
  const menu = h(
    'details',
    { class: 'menu share' },
    h('summary', { class: 'button primary' }, 'Share'),
    h('div', { class: 'menu-items share-panel' }, result, rows.write.row, rows.read.row, means)
  )
  // Links the server made, kept for the page's life (they expire with the page's own access).
  const made: Partial<Record<Access, Promise<string>>> = {}

  const copyLink = async (access: Access, single: boolean): Promise<void> => {
    const { field } = rows[access]
    if (field.value === '') return
    try {
      await navigator.clipboard.writeText(field.value)
      result.textContent = single ? 'Link copied ✓' : `${LABELS[access]} copied ✓`
      result.dataset.tone = 'ok'
    } catch {
      // No clipboard access (an insecure origin, a denied permission): let people copy by hand.
      result.textContent = 'Copy this link:'
      result.dataset.tone = 'info'
      field.focus()
      field.select()
    }
  }

  const fill = async (access: Access): Promise<boolean> => {
    const { field } = rows[access]
    if (field.value !== '') return true
    field.placeholder = 'Making a link…'
    made[access] ??= context.makeLink(access)
    try {
      field.value = await made[access]
      return true
    } catch (error) {
      made[access] = undefined
      field.placeholder = ''
      result.textContent = `No ${LABELS[access].toLowerCase()} could be made: ${(error as Error).message}`
      result.dataset.tone = 'info'
      return false
    }
  }

  menu.addEventListener('toggle', () => {
    if (!menu.open) return
    const readOnly = context.readOnly()
    const mode = context.mode()
    means.textContent = sharingMeans({ hasToken: context.hasToken, readOnly, mode })
    result.textContent = ''
    const own: Access = readOnly ? 'read' : 'write'
    // Links the server makes need its access links and a token to make them from.
    const minted = mode !== 'open' && context.hasToken
    rows.write.row.hidden = minted ? readOnly : own !== 'write'
    rows.read.row.hidden = minted ? false : own !== 'read'
    if (!minted) {
      rows[own].field.value = context.url
      rows[own].row.querySelector('label')!.textContent = mode === 'open' ? 'Link (read and edit)' : 'Link'
      return void copyLink(own, true)
    }
    const shown: Access[] = readOnly ? ['read'] : ['write', 'read']
    for (const access of shown) {
      void fill(access).then((ok) => {
        if (ok && access === own && menu.open) void copyLink(own, false)
      })
    }
  })
  for (const access of ['write', 'read'] as const)
    rows[access].copy.addEventListener('click', () => void copyLink(access, rows.read.row.hidden || rows.write.row.hidden))
  closeLikeAMenu(menu)
  return menu
}
