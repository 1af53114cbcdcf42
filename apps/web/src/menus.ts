/**
 * Drop-down menus built on `<details>`: they open with a click or Enter like any disclosure,
 * and close the way people expect a menu to: Escape (focus back on the button) or a click
 * elsewhere.
 */

/** Make `menu` close on Escape and on clicks outside it. */
export function closeLikeAMenu(menu: HTMLDetailsElement): void {
  document.addEventListener('click', (event) => {
    if (menu.open && !menu.contains(event.target as Node)) menu.open = false
  })
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !menu.open) return
    menu.open = false
    menu.querySelector('summary')?.focus()
  })
}
