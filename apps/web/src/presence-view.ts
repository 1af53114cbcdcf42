/**
 * The people present: a row of initials in each person's colour, with a count.
 */
import type { Collaborator, User } from '@quire/editor'
import { h } from './dom.js'

const SHOWN = 5

/** Up to two letters for a name: "Brave Otter" → "BO", "ada" → "A". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const first = words[0]
  if (first === undefined) return '?'
  const last = words.length > 1 ? words[words.length - 1] : undefined
  return ([...first][0]! + (last ? [...last][0]! : '')).toUpperCase()
}

function avatar(user: User, you: boolean): HTMLElement {
  const title = you ? `${user.name} (you)` : user.name
  return h('span', { class: you ? 'avatar you' : 'avatar', title, style: `background-color: ${user.color}`, 'data-name': user.name }, initials(user.name))
}

/** Show `you` and `collaborators` in `container`. */
export function renderPresence(container: HTMLElement, you: User, collaborators: Collaborator[]): void {
  const everyone = [avatar(you, true), ...collaborators.map((collaborator) => avatar(collaborator, false))]
  const hidden = everyone.length - SHOWN
  const count = everyone.length
  container.setAttribute('aria-label', count === 1 ? 'Only you are here' : `${count} people here`)
  container.replaceChildren(
    h('span', { class: 'avatars' }, ...everyone.slice(0, SHOWN), hidden > 0 && h('span', { class: 'avatar more' }, `+${hidden}`)),
    h('span', { class: 'count', title: `${count} ${count === 1 ? 'person' : 'people'} here` }, String(count))
  )
}
