/**
 * The people present: a row of initials in each person's colour, and a list of everyone by
 * full name. Each is a button: choosing someone scrolls to their caret. The row shows
 * initials for the eye; buttons carry the full names for hover and for screen readers.
 */
import type { Collaborator, User } from '@quire/editor'
import { h } from './dom.js'
import { closeLikeAMenu } from './menus.js'

const SHOWN = 5

/** Up to two letters for a name: "Brave Otter" → "BO", "ada" → "A". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const first = words[0]
  if (first === undefined) return '?'
  const last = words.length > 1 ? words[words.length - 1] : undefined
  return ([...first][0]! + (last ? [...last][0]! : '')).toUpperCase()
}

/** Where presence sends a click on someone. */
export type JumpTo = (collaborator: Collaborator) => void

function avatar(user: User, collaborator: Collaborator | undefined, jump: JumpTo): HTMLElement {
  const label = collaborator === undefined ? `${user.name} (you)` : `${user.name}: go to their caret`
  const button = h(
    'button',
    {
      type: 'button',
      class: collaborator === undefined ? 'avatar you' : 'avatar',
      title: collaborator === undefined ? `${user.name} (you)` : user.name,
      'aria-label': label,
      style: `background-color: ${user.color}`,
      'data-name': user.name
    },
    initials(user.name)
  )
  if (collaborator !== undefined) button.addEventListener('click', () => jump(collaborator))
  else button.disabled = true
  return button
}

function listItem(user: User, collaborator: Collaborator | undefined, jump: JumpTo, close: () => void): HTMLElement {
  const button = h(
    'button',
    { type: 'button', class: 'menu-item person', 'data-name': user.name },
    h('span', { class: 'dot', style: `background-color: ${user.color}` }),
    collaborator === undefined ? `${user.name} (you)` : user.name
  )
  if (collaborator === undefined) button.disabled = true
  else
    button.addEventListener('click', () => {
      close()
      jump(collaborator)
    })
  return h('li', {}, button)
}

// The list is made once per container: it holds the menu's listeners.
function peopleMenu(container: HTMLElement): { menu: HTMLDetailsElement; summary: HTMLElement; list: HTMLElement; avatars: HTMLElement } {
  const existing = container.querySelector<HTMLDetailsElement>('details.people')
  if (existing) {
    return {
      menu: existing,
      summary: existing.querySelector('summary')!,
      list: existing.querySelector('ul')!,
      avatars: container.querySelector<HTMLElement>('.avatars')!
    }
  }
  const summary = h('summary', { class: 'count' })
  const list = h('ul', { class: 'menu-items people-list', 'aria-label': 'People here' })
  const menu = h('details', { class: 'menu people' }, summary, list)
  const avatars = h('span', { class: 'avatars' })
  closeLikeAMenu(menu)
  container.setAttribute('role', 'group')
  container.replaceChildren(avatars, menu)
  return { menu, summary, list, avatars }
}

/** Show `you` and `collaborators` in `container`; choosing a collaborator calls `jump`. */
export function renderPresence(container: HTMLElement, you: User, collaborators: Collaborator[], jump: JumpTo = () => {}): void {
  const everyone: Array<[User, Collaborator | undefined]> = [
    [you, undefined],
    ...collaborators.map((collaborator): [User, Collaborator] => [collaborator, collaborator])
  ]
  const hidden = everyone.length - SHOWN
  const count = everyone.length
  const words = count === 1 ? 'Only you are here' : `${count} people here`
  const { menu, summary, list, avatars } = peopleMenu(container)
  container.setAttribute('aria-label', words)
  summary.textContent = String(count)
  summary.title = `${words}: show everyone`
  summary.setAttribute('aria-label', `${words}: show everyone`)
  list.replaceChildren(...everyone.map(([user, collaborator]) => listItem(user, collaborator, jump, () => (menu.open = false))))
  avatars.replaceChildren(
    ...everyone.slice(0, SHOWN).map(([user, collaborator]) => avatar(user, collaborator, jump)),
    ...(hidden > 0 ? [h('span', { class: 'avatar more' }, `+${hidden}`)] : [])
  )
}
