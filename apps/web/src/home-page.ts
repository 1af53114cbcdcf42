/**
 * The home page: start a new document, open one by name, or return to a recent one. It says
 * what kind of server this is: on an open one anyone with an address can read and edit; on one
 * that needs access links, "New document" would only lead to "No access", so it explains instead.
 */
import { checkTypedName, documentHref, randomDocumentName, suggestName } from './document-names.js'
import { h, logo } from './dom.js'
import { offlineReloadNote } from './offline-reload.js'
import { forgetDocument, type RecentDocument, recentDocuments, rememberDocument } from './recent-documents.js'
import { OPEN_SERVER_WARNING, type ServerMode, serverMode } from './server-mode.js'

const timeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

function ago(then: number, now = Date.now()): string {
  const minutes = Math.round((then - now) / 60_000)
  if (minutes === 0) return 'just now'
  if (minutes > -60) return timeFormat.format(minutes, 'minute')
  const hours = Math.round(minutes / 60)
  if (hours > -24) return timeFormat.format(hours, 'hour')
  return timeFormat.format(Math.round(hours / 24), 'day')
}

function openForm(): HTMLFormElement {
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
      return
    }
    input.setAttribute('aria-invalid', 'true')
    const typed = input.value.trim()
    const suggested = suggestName(typed)
    if (suggested === undefined) {
      error.replaceChildren(`That name won't work: ${checked.reason}.`)
      input.focus()
      return
    }
    // Offer a name that works rather than only refusing; what was typed stays the title here.
    const use = h('button', { type: 'button', class: 'button suggestion' }, 'Open as ', h('code', {}, suggested))
    use.addEventListener('click', () => {
      rememberDocument(suggested, Date.now(), undefined, typed)
      location.assign(documentHref(suggested))
    })
    error.replaceChildren(`Document names use only letters a–z, digits and - _ . ~ (and / for folders). `, use)
    use.focus()
  })
  input.addEventListener('input', () => {
    error.replaceChildren()
    input.removeAttribute('aria-invalid')
  })
  return form
}

function recentItem(doc: RecentDocument, onRemove: () => void): HTMLLIElement {
  const label = doc.title ?? doc.name
  const remove = h('button', { type: 'button', class: 'remove', title: 'Remove from this list', 'aria-label': `Remove ${label} from this list` }, '×')
  const item = h(
    'li',
    {},
    h(
      'a',
      { href: documentHref(doc.name) },
      ...(doc.title === undefined
        ? [h('span', { class: 'name' }, doc.name)]
        : [h('span', { class: 'title' }, doc.title), h('span', { class: 'name muted' }, doc.name)])
    ),
    h('span', { class: 'when muted' }, ago(doc.openedAt)),
    remove
  )
  remove.addEventListener('click', () => {
    forgetDocument(doc.name)
    onRemove()
  })
  return item
}

function recentSection(): HTMLElement {
  const section = h('section', { class: 'recent' }, h('h2', { tabindex: '-1' }, 'Recently opened'))
  const fill = (): void => {
    const recent = recentDocuments()
    const empty = h('p', { class: 'muted' }, 'Documents you open in this browser will appear here. The list stays in this browser only.')
    section.replaceChildren(
      section.firstElementChild as HTMLElement,
      recent.length === 0
        ? empty
        : h(
            'ul',
            {},
            ...recent.map((doc) =>
              recentItem(doc, () => {
                fill()
                section.querySelector<HTMLElement>('.remove, h2')?.focus()
              })
            )
          )
    )
  }
  fill()
  return section
}

function showMode(hero: HTMLElement, newDocument: HTMLAnchorElement, mode: ServerMode): void {
  hero.querySelector('.server-note')?.remove()
  if (mode === 'tokens') {
    newDocument.hidden = true
    hero.append(
      h(
        'p',
        { class: 'server-note', 'data-mode': 'tokens' },
        h('strong', {}, 'This server needs access links. '),
        'Documents open only through a link with an access token, which the people who run the server make (',
        h('code', {}, 'quire token'),
        '). Open the link you were given, or ask for one.'
      )
    )
  } else if (mode === 'open') {
    hero.append(h('p', { class: 'server-note', 'data-mode': 'open' }, OPEN_SERVER_WARNING))
  }
}

/** Replace `root` with the home page. */
export function renderHomePage(root: HTMLElement): void {
  document.title = 'Quire'
  const name = randomDocumentName()
  const newDocument = h('a', { class: 'button primary big', id: 'new-document', href: documentHref(name) }, 'New document')
  const hero = h(
    'section',
    { class: 'hero' },
    h('h1', {}, 'Write together, in real time.'),
    h('p', { class: 'lead' }, 'Share a link and everyone types at once. Keep writing when the network drops: nothing is lost.'),
    newDocument
  )
  root.replaceChildren(h('main', { class: 'home' }, h('header', { class: 'brand' }, logo(), 'Quire'), hero, openForm(), recentSection(), offlineReloadNote()))
  void serverMode().then((mode) => showMode(hero, newDocument, mode))
}
