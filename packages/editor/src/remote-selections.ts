/**
 * Other people's carets and selections, and publishing our own. This replaces
 * y-codemirror.next's `yRemoteSelections`, whose caret widgets compare by colour only and so
 * keep showing a person's old name after they rename themselves; the awareness format
 * (`cursor: { anchor, head }` as Yjs relative positions) is the same, so the two interoperate.
 */
import { Annotation, type Extension, type Range, type Transaction } from '@codemirror/state'
import { Decoration, type DecorationSet, EditorView, ViewPlugin, type ViewUpdate, WidgetType } from '@codemirror/view'
import type { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { User } from './identity.js'

interface Cursor {
  anchor: unknown
  head: unknown
}

/** Height of one name label, and so the step between stacked ones. */
const LABEL_HEIGHT = 15

class CaretWidget extends WidgetType {
  constructor(
    readonly color: string,
    readonly name: string,
    /** Labels of carets close together on one line stack: 0 sits next to the line, 1 beyond it… */
    readonly tier: number,
    /** On the first line there is no room above, so the label hangs below the caret. */
    readonly below: boolean
  ) {
    super()
  }

  override eq(other: CaretWidget): boolean {
    return other.color === this.color && other.name === this.name && other.tier === this.tier && other.below === this.below
  }

  toDOM(): HTMLElement {
    const caret = document.createElement('span')
    caret.className = 'cm-remoteCaret'
    caret.style.borderColor = this.color
    const name = caret.appendChild(document.createElement('span'))
    name.className = this.below ? 'cm-remoteCaretName cm-remoteCaretName-below' : 'cm-remoteCaretName'
    if (this.tier > 0) name.style.setProperty(this.below ? 'top' : 'bottom', `calc(100% + ${this.tier * LABEL_HEIGHT}px)`)
    // Screen readers would otherwise read the names into the text wherever a caret sits.
    name.setAttribute('aria-hidden', 'true')
    name.style.backgroundColor = this.color
    name.textContent = this.name
    return caret
  }

  override ignoreEvent(): boolean {
    return true
  }
}

function publishCursor(update: ViewUpdate, text: Y.Text, awareness: Awareness): void {
  const local = awareness.getLocalState()
  if (local === null) return
  // Only a focused editor moves the published caret: a click elsewhere on the page should
  // leave the caret where collaborators last saw it, not make it vanish.
  const focused = update.view.hasFocus && update.view.dom.ownerDocument.hasFocus()
  if (!focused) return
  const { anchor, head } = update.state.selection.main
  const cursor = local.cursor as Cursor | null | undefined
  const next = { anchor: Y.createRelativePositionFromTypeIndex(text, anchor), head: Y.createRelativePositionFromTypeIndex(text, head) }
  const same =
    cursor != null &&
    Y.compareRelativePositions(Y.createRelativePositionFromJSON(cursor.anchor), next.anchor) &&
    Y.compareRelativePositions(Y.createRelativePositionFromJSON(cursor.head), next.head)
  if (!same) awareness.setLocalStateField('cursor', next)
}

interface Caret {
  head: number
  color: string
  name: string
}

/**
 * Give each caret's label a tier so that labels of carets close together on one line do not
 * cover each other. Widths are estimated in characters (a label's letters are smaller than the
 * text's, plus padding), which is enough to tell close carets from distant ones.
 */
function labelTiers(view: EditorView, carets: readonly Caret[]): number[] {
  const order = carets.map((_, index) => index).sort((a, b) => carets[a]!.head - carets[b]!.head)
  const tiers: number[] = new Array(carets.length).fill(0)
  let line = -1
  // Per tier, the column where its last label on this line ends.
  let ends: number[] = []
  for (const index of order) {
    const caret = carets[index]!
    const at = view.state.doc.lineAt(caret.head)
    if (at.number !== line) {
      line = at.number
      ends = []
    }
    const column = caret.head - at.from
    let tier = ends.findIndex((end) => end <= column)
    if (tier === -1) tier = ends.length
    ends[tier] = column + caret.name.length + 2
    tiers[index] = tier
  }
  return tiers
}

function remoteDecorations(view: EditorView, text: Y.Text, awareness: Awareness): DecorationSet {
  const doc = text.doc as Y.Doc
  const decorations: Array<Range<Decoration>> = []
  const carets: Caret[] = []
  const sides: number[] = []
  for (const [clientId, state] of awareness.getStates()) {
    const cursor = state.cursor as Cursor | null | undefined
    if (clientId === doc.clientID || cursor?.anchor == null || cursor.head == null) continue
    const anchor = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.anchor), doc)
    const head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), doc)
    if (anchor === null || head === null || anchor.type !== text || head.type !== text) continue
    const length = view.state.doc.length
    const [a, h] = [Math.min(anchor.index, length), Math.min(head.index, length)]
    const user = (state.user ?? {}) as Partial<User>
    const color = user.color ?? '#30bced'
    const light = user.colorLight ?? `${color}33`
    if (a !== h) {
      const mark = Decoration.mark({ class: 'cm-remoteSelection', attributes: { style: `background-color: ${light}` } })
      decorations.push(mark.range(Math.min(a, h), Math.max(a, h)))
    }
    carets.push({ head: h, color, name: user.name ?? 'Anonymous' })
    sides.push(h > a ? -1 : 1)
  }
  const tiers = labelTiers(view, carets)
  carets.forEach((caret, index) => {
    const below = view.state.doc.lineAt(caret.head).number === 1
    // side keeps the caret outside the selection it ends, so it sits where the person typed.
    const widget = Decoration.widget({ widget: new CaretWidget(caret.color, caret.name, tiers[index]!, below), side: sides[index]! })
    decorations.push(widget.range(caret.head))
  })
  return decorations.length === 0 ? Decoration.none : Decoration.set(decorations, true)
}

const remoteSelectionsTheme = EditorView.baseTheme({
  '.cm-remoteCaret': {
    position: 'relative',
    borderLeft: '2px solid',
    marginLeft: '-1px',
    marginRight: '-1px',
    pointerEvents: 'none'
  },
  '.cm-remoteCaretName': {
    position: 'absolute',
    left: '-2px',
    bottom: '100%',
    padding: '0 4px',
    borderRadius: '3px 3px 3px 0',
    font: '600 11px/14px system-ui, sans-serif',
    color: '#111',
    whiteSpace: 'nowrap',
    userSelect: 'none',
    zIndex: '10'
  },
  '.cm-remoteCaretName-below': {
    bottom: 'auto',
    top: '100%',
    borderRadius: '0 3px 3px 3px'
  }
})

/** Marks the transaction that redraws carets after collaborators moved (nothing else changed). */
const presenceChanged = Annotation.define<true>()

const isPresenceChange = (tr: Transaction): boolean => tr.annotation(presenceChanged) === true

/** Show the carets and selections of everyone in `awareness`, and publish ours there. */
export function remoteSelections(text: Y.Text, awareness: Awareness): Extension {
  const plugin = ViewPlugin.define(
    (view) => {
      // Collaborators' cursor moves arrive outside any transaction: redraw with a marked one.
      const onChange = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
        if ([...added, ...updated, ...removed].some((id) => id !== awareness.clientID)) view.dispatch({ annotations: presenceChanged.of(true) })
      }
      awareness.on('change', onChange)
      return {
        decorations: remoteDecorations(view, text, awareness),
        update(update: ViewUpdate) {
          if (update.selectionSet || update.docChanged || update.focusChanged) publishCursor(update, text, awareness)
          // Scrolling, resizing and focus leave remote carets where they are; only the text
          // (their relative positions resolve anew) or their presence can move them.
          if (update.docChanged || update.transactions.some(isPresenceChange)) this.decorations = remoteDecorations(update.view, text, awareness)
        },
        destroy: () => awareness.off('change', onChange)
      }
    },
    { decorations: (value) => value.decorations }
  )
  return [plugin, remoteSelectionsTheme]
}
