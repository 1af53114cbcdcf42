/**
 * Large local changes reach the server in parts. The server refuses a WebSocket message over its
 * limit (`--max-message-bytes`, 16 MiB by default) by closing the connection for good, and a
 * reload would send the same change again: so a paste whose text could make a larger update is
 * applied as several transactions in a row, each a Yjs update (and a message) under the limit,
 * one after the other in the same task. Undo still takes the whole paste back in one step (the
 * undo manager joins changes made together). A change too large to split this way (several
 * places at once) is refused before it is applied, with a message, so nothing is lost.
 */
import { Annotation, EditorState, type Extension, Transaction } from '@codemirror/state'
import { type EditorView, ViewPlugin } from '@codemirror/view'
import { ySyncAnnotation } from 'y-codemirror.next'

/** Marks the parts this extension made, which pass unsplit. */
const part = Annotation.define<true>()

/** Room for the message's headers and the update's bookkeeping beside the text. */
const OVERHEAD_BYTES = 4096

/** How many UTF-16 code units of text surely fit one message of `maxMessageBytes` (3 UTF-8 bytes each at most). */
export function partLength(maxMessageBytes: number): number {
  return Math.max(256, Math.floor((maxMessageBytes - OVERHEAD_BYTES) / 3))
}

/** Cut `text` into pieces of at most `length` code units, never inside a surrogate pair. */
export function cutText(text: string, length: number): string[] {
  const parts: string[] = []
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + length)
    const last = text.charCodeAt(end - 1)
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--
    parts.push(text.slice(start, end))
    start = end
  }
  return parts
}

/** What the extension needs from its document. */
export interface LargeChangeOptions {
  /** The server's message limit, as known now. */
  maxMessageBytes: () => number
  /** A change was refused; `message` says why, for people. */
  refused: (message: string) => void
}

/** Split large local changes into parts under the server's message limit, or refuse them. */
export function largeChanges(options: LargeChangeOptions): Extension {
  let view: EditorView | undefined
  const holder = ViewPlugin.define((v) => {
    view = v
    return { destroy: () => (view = undefined) }
  })
  const filter = EditorState.transactionFilter.of((tr) => {
    if (!tr.docChanged || tr.annotation(part) || tr.annotation(ySyncAnnotation) !== undefined) return tr
    const length = partLength(options.maxMessageBytes())
    const changes: Array<{ from: number; to: number; text: string }> = []
    let inserted = 0
    tr.changes.iterChanges((from, to, _fromB, _toB, text) => {
      inserted += text.length
      changes.push({ from, to, text: text.sliceString(0) })
    })
    if (inserted <= length) return tr
    if (changes.length !== 1) {
      options.refused(
        `That change is too large for the server (it accepts about ${megabytes(options.maxMessageBytes())} at once), and it touches several places, so it was not made. Paste it in one place, or in smaller pieces.`
      )
      return []
    }
    const [{ from, to, text }] = changes as [{ from: number; to: number; text: string }]
    const [first, ...rest] = cutText(text, length) as [string, ...string[]]
    const userEvent = tr.annotation(Transaction.userEvent)
    const annotations = (): Annotation<unknown>[] => (userEvent === undefined ? [part.of(true)] : [part.of(true), Transaction.userEvent.of(userEvent)])
    // The rest follows in the same task, before any message from the server can arrive.
    queueMicrotask(() => {
      let at = from + first.length
      rest.forEach((piece, index) => {
        if (view === undefined) return
        view.dispatch({
          changes: { from: at, insert: piece },
          selection: { anchor: at + piece.length },
          annotations: annotations(),
          scrollIntoView: index === rest.length - 1
        })
        at += piece.length
      })
    })
    return { changes: { from, to, insert: first }, selection: { anchor: from + first.length }, annotations: annotations() }
  })
  return [holder, filter]
}

function megabytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`
}
