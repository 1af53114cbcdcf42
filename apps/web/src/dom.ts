/**
 * A tiny element builder, so pages read as their markup does without a framework.
 */

type Attributes = Record<string, string | boolean | undefined>
type Child = Node | string | null | undefined | false

/** Create `<tag>` with attributes (`true` sets an empty one; `false`/`undefined` skip) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(name, '')
    else if (typeof value === 'string') element.setAttribute(name, value)
  }
  element.append(...children.filter((child): child is Node | string => child !== null && child !== undefined && child !== false))
  return element
}

/** The Quire mark, a page with two lines of text, as inline SVG. */
export function logo(): SVGSVGElement {
  const template = document.createElement('template')
  template.innerHTML =
    '<svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="7" fill="currentColor"/><path d="M9 8h10l4 4v12H9z" fill="var(--bg)"/><path d="M12 15h8M12 19h8" stroke="currentColor" stroke-width="2"/></svg>'
  return template.content.firstElementChild as SVGSVGElement
}
