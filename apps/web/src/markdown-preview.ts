/**
 * The Markdown preview: the syntax tree the editor already has (markdown-language.ts) turned
 * into DOM. Safe by construction: every piece of the document becomes a text node or an element
 * made here, never HTML parsed from the text, so `<script>` in a document is shown, not run.
 * Links keep only http(s), mailto and in-page addresses; images load only over http(s).
 */
import { ensureSyntaxTree, type syntaxTree } from '@codemirror/language'
import type { EditorState } from '@codemirror/state'
import { markdownLanguage } from './markdown-language.js'

type Tree = ReturnType<typeof syntaxTree>
type Node = Tree['topNode']

/** Markup characters that the rendered elements stand for. */
const MARKS = new Set([
  'HeaderMark',
  'QuoteMark',
  'ListMark',
  'EmphasisMark',
  'CodeMark',
  'CodeInfo',
  'LinkMark',
  'LinkTitle',
  'LinkLabel',
  'StrikethroughMark',
  'SubscriptMark',
  'SuperscriptMark',
  'TaskMarker',
  'TableDelimiter',
  'URL'
])

const BLOCKS: Record<string, keyof HTMLElementTagNameMap> = {
  Paragraph: 'p',
  ATXHeading1: 'h1',
  ATXHeading2: 'h2',
  ATXHeading3: 'h3',
  ATXHeading4: 'h4',
  ATXHeading5: 'h5',
  ATXHeading6: 'h6',
  SetextHeading1: 'h1',
  SetextHeading2: 'h2',
  Blockquote: 'blockquote',
  BulletList: 'ul',
  OrderedList: 'ol',
  ListItem: 'li'
}

const INLINES: Record<string, keyof HTMLElementTagNameMap> = {
  Emphasis: 'em',
  StrongEmphasis: 'strong',
  Strikethrough: 'del',
  InlineCode: 'code',
  Subscript: 'sub',
  Superscript: 'sup'
}

// Containers of blocks: the text between their children is markup and indentation.
const BLOCK_CONTAINERS = new Set(['Document', 'Blockquote', 'BulletList', 'OrderedList', 'ListItem'])

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&nbsp;': '\u00a0' }

/** Whether `url` may be a link target in the preview. */
export function safeLinkUrl(url: string): boolean {
  return /^(https?:|mailto:|#)/i.test(url.trim())
}

function children(node: Node): Node[] {
  const list: Node[] = []
  for (let child = node.firstChild; child; child = child.nextSibling) list.push(child)
  return list
}

class Renderer {
  constructor(readonly text: (from: number, to: number) => string) {}

  // The text of `node` between `from` and `to`, its children rendered, markup left out.
  inline(node: Node, parent: Element, from = node.from, to = node.to): void {
    let at = from
    for (const child of children(node)) {
      if (child.to <= from || child.from >= to) continue
      if (child.from > at) parent.append(this.text(at, child.from))
      this.node(child, parent)
      at = Math.max(at, child.to)
    }
    if (at < to) parent.append(this.text(at, to))
  }

  blocks(node: Node, parent: Element): void {
    for (const child of children(node)) this.node(child, parent)
  }

  element<K extends keyof HTMLElementTagNameMap>(tag: K, parent: Element): HTMLElementTagNameMap[K] {
    const element = document.createElement(tag)
    parent.append(element)
    return element
  }

  node(node: Node, parent: Element): void {
    const name = node.name
    if (MARKS.has(name)) return
    const block = BLOCKS[name]
    if (block !== undefined) {
      const element = this.element(block, parent)
      if (BLOCK_CONTAINERS.has(name)) this.blocks(node, element)
      else this.inline(node, element)
      if (name === 'OrderedList') {
        const start = Number.parseInt(this.text(node.from, node.to), 10)
        if (Number.isFinite(start) && start !== 1) element.setAttribute('start', String(start))
      }
      return
    }
    const inline = INLINES[name]
    if (inline !== undefined) return this.inline(node, this.element(inline, parent))
    switch (name) {
      case 'FencedCode':
      case 'CodeBlock': {
        const code = this.element('code', this.element('pre', parent))
        code.textContent = children(node)
          .filter((child) => child.name === 'CodeText')
          .map((child) => this.text(child.from, child.to))
          .join('\n')
        return
      }
      case 'HorizontalRule':
        this.element('hr', parent)
        return
      case 'HardBreak':
        this.element('br', parent)
        return
      case 'Escape':
        parent.append(this.text(node.from + 1, node.to))
        return
      case 'Entity': {
        const entity = this.text(node.from, node.to)
        parent.append(ENTITIES[entity] ?? entity)
        return
      }
      case 'Task': {
        const marker = node.getChild('TaskMarker')
        const box = this.element('input', parent)
        box.type = 'checkbox'
        box.disabled = true
        box.checked = marker !== null && /x/i.test(this.text(marker.from, marker.to))
        this.inline(node, parent)
        return
      }
      case 'Link':
      case 'Image':
      case 'Autolink':
        return this.link(node, parent)
      case 'URL': // a bare URL (GFM autolink)
        return this.link(node, parent)
      case 'Table':
        return this.table(node, parent)
      default:
        // HTML, comments, link references and anything new: shown as the text it is.
        if (BLOCK_CONTAINERS.has(name)) return this.blocks(node, parent)
        if (node.firstChild === null) {
          parent.append(this.text(node.from, node.to))
          return
        }
        return this.inline(node, parent)
    }
  }

  link(node: Node, parent: Element): void {
    const url = node.name === 'URL' ? node : node.getChild('URL')
    const target = url === null ? '' : this.text(url.from, url.to)
    const marks = node.getChildren('LinkMark')
    // [label](url): the label lies between the first two marks; <url> and bare URLs show the URL.
    const labelFrom = node.name === 'URL' || node.name === 'Autolink' ? -1 : (marks[0]?.to ?? node.from)
    const labelTo = marks[1]?.from ?? node.to
    if (node.name === 'Image') {
      const alt = this.text(labelFrom, labelTo)
      if (/^https?:/i.test(target)) {
        const image = this.element('img', parent)
        image.alt = alt
        image.src = target
        image.loading = 'lazy'
        image.referrerPolicy = 'no-referrer'
      } else parent.append(alt)
      return
    }
    const anchor = safeLinkUrl(target) ? this.element('a', parent) : this.element('span', parent)
    if (anchor instanceof HTMLAnchorElement) {
      anchor.href = target
      anchor.rel = 'noopener noreferrer nofollow'
      anchor.target = '_blank'
    }
    if (labelFrom < 0) anchor.append(target)
    else this.inline(node, anchor, labelFrom, labelTo)
  }

  table(node: Node, parent: Element): void {
    const table = this.element('table', parent)
    for (const row of children(node)) {
      if (row.name !== 'TableHeader' && row.name !== 'TableRow') continue
      const tr = this.element('tr', this.element(row.name === 'TableHeader' ? 'thead' : 'tbody', table))
      for (const cell of row.getChildren('TableCell')) this.inline(cell, this.element(row.name === 'TableHeader' ? 'th' : 'td', tr))
    }
  }
}

/** Render Markdown `text` into `target` (its children are replaced). */
export function renderMarkdown(target: Element, text: string): void {
  renderTree(target, markdownLanguage.parser.parse(text), (from, to) => text.slice(from, to))
}

/** Render the editor state's document into `target`, reusing the editor's parse where it is complete. */
export function renderState(target: Element, state: EditorState): void {
  const tree = ensureSyntaxTree(state, state.doc.length, 200)
  if (tree === null) return renderMarkdown(target, state.doc.toString())
  renderTree(target, tree, (from, to) => state.doc.sliceString(from, to))
}

function renderTree(target: Element, tree: Tree, text: (from: number, to: number) => string): void {
  const fragment = document.createElement('div')
  new Renderer(text).blocks(tree.topNode, fragment)
  target.replaceChildren(...fragment.childNodes)
}
