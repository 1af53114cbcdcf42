/**
 * The home page: start a new document, open one by name, or return to a recent one.
 */
import { checkTypedName, documentHref, randomDocumentName } from './document-names.js'
import { h, logo } from './dom.js'
import { recentDocuments } from './recent-documents.js'

const timeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

function ago(then: number, now = Date.now()): string {
  const minutes = Math.round((then - now) / 60_000)
  if (minutes === 0) return 'just now'
  if (minutes > -60) return timeFormat.format(minutes, 'minute')
  const hours = Math.round(minutes / 60)
  if (hours > -24) return timeFormat.format(hours, 'hour')
  return timeFormat.format(Math.round(hours / 24), 'day')
}

/** Replace `root` with the home page. */
export function renderHomePage(root: HTMLElement): void {
  document.title = 'Quire'
  const input = h('input', {
    id: 'open-name',
    name: 'name',
    placeholder: 'team/meeting-notes',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'open-error'
  })
  const error = h('p', { id: 'open-error', class: 'form-error', role: 'alert' })
  const form = h(
    'form',
    { class: 'open-form' },
    h('label', { for: 'open-name' }, 'Open a document by name'),
    h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'button' }, 'Open')),
    error
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const checked = checkTypedName(input.value)
    if (checked.ok) {
      location.assign(documentHref(checked.name))
    } else {
      error.textContent = `That name won't work: ${checked.reason}.`
      input.setAttribute('aria-invalid', 'true')
      input.focus()
    }
  })
  input.addEventListener('input', () => {
    error.textContent = ''
    input.removeAttribute('aria-invalid')
  })

  const recent = recentDocuments()
  root.replaceChildren(
    h(
      'main',
      { class: 'home' },
      h('header', { class: 'brand' }, logo(), 'Quire'),
      h(
        'section',
        { class: 'hero' },
        h('h1', {}, 'Write together, in real time.'),
        h('p', { class: 'lead' }, 'Share a link and everyone types at once. Keep writing when the network drops: nothing is lost.'),
        h('a', { class: 'button primary big', id: 'new-document', href: documentHref(randomDocumentName()) }, 'New document')
      ),
      form,
      h(
        'section',
        { class: 'recent' },
        h('h2', {}, 'Recently opened'),
        recent.length === 0
          ? h('p', { class: 'muted' }, 'Documents you open in this browser will appear here.')
          : h(
              'ul',
              {},
              ...recent.map((doc) => h('li', {}, h('a', { href: documentHref(doc.name) }, doc.name), h('span', { class: 'muted' }, ago(doc.openedAt))))
            )
      )
    )
  )
}
