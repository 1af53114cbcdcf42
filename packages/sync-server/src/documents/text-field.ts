/**
 * The document's text as the editor binds it: one shared `Y.Text` named `codemirror`
 * (packages/editor's open-document.ts and the web app use that name). Replacing the text is a
 * minimal diff (fast-diff) applied as one transaction, so unchanged characters keep their Yjs
 * identity (and authorship), and edits others make concurrently survive the merge.
 */
import diff from 'fast-diff'
import * as Y from 'yjs'

/** The name of the shared Y.Text the editor binds. */
export const TEXT_FIELD = 'codemirror'

/** The text of a Y.Doc. */
export function textOf(ydoc: Y.Doc): string {
  return ydoc.getText(TEXT_FIELD).toString()
}

/** The text of a document's state given as one update (built in a scratch Y.Doc). */
export function textOfUpdate(update: Uint8Array): string {
  const ydoc = new Y.Doc({ gc: true })
  try {
    Y.applyUpdate(ydoc, update)
    return textOf(ydoc)
  } finally {
    ydoc.destroy()
  }
}

/**
 * Turn the text of `ydoc` into `text` with the fewest inserts and deletes fast-diff finds, in one
 * transaction with `origin`. Returns false, changing nothing, when the text is already `text`.
 */
export function replaceTextIn(ydoc: Y.Doc, text: string, origin: unknown): boolean {
  const ytext = ydoc.getText(TEXT_FIELD)
  const current = ytext.toString()
  if (current === text) return false
  // fast-diff counts UTF-16 code units, as Y.Text does, and keeps surrogate pairs whole.
  const changes = diff(current, text)
  ydoc.transact(() => {
    let at = 0
    for (const [op, part] of changes) {
      if (op === diff.EQUAL) at += part.length
      else if (op === diff.DELETE) ytext.delete(at, part.length)
      else {
        ytext.insert(at, part)
        at += part.length
      }
    }
  }, origin)
  return true
}

/**
 * The update that turns the document whose state is `state` into one with `text`, written by a
 * fresh Yjs client; undefined when the text is already `text`. The live Y.Doc is not touched:
 * the update then goes through the same admission as any other.
 */
export function textReplacementUpdate(state: Uint8Array, text: string): Uint8Array | undefined {
  const scratch = new Y.Doc({ gc: true })
  try {
    Y.applyUpdate(scratch, state)
    const before = Y.encodeStateVector(scratch)
    return replaceTextIn(scratch, text, null) ? Y.encodeStateAsUpdate(scratch, before) : undefined
  } finally {
    scratch.destroy()
  }
}
