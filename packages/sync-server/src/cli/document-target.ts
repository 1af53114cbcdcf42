/**
 * Where the document commands (`quire ls`, `export`, `import`, `rm`) act: a running server
 * (server-target.ts, through the HTTP API) or a data folder no server holds (folder-target.ts).
 * Both give the same answers, so the commands are written once.
 */

/** A document's stored facts, as listed. */
export interface ListedDocument {
  name: string
  bytes: number
  /** ISO time of the latest stored change, or null. */
  changedAt: string | null
  clients: number
}

/** The representations a document is exported and imported in. */
export type DocumentFormat = 'text' | 'md' | 'yjs'

/** Where the document commands act. */
export interface DocumentTarget {
  /** Every stored document whose name starts with `prefix`, in name order. */
  list(prefix: string): AsyncIterable<ListedDocument>
  /** The document as text (text, md) or as one Yjs update (yjs); a {@link CliError} if nothing is stored. */
  read(name: string, format: DocumentFormat): Promise<Uint8Array>
  /** Make the text `body` (text, md: a minimal diff) or apply it as a Yjs update (yjs). */
  write(name: string, body: Uint8Array, format: DocumentFormat): Promise<{ changed: boolean }>
  /** Delete the document; a {@link CliError} if nothing is stored. */
  remove(name: string): Promise<void>
  close(): Promise<void>
}

/** A failure the command reports in one sentence and exits with `exitCode` (2: bad arguments, 1: anything else). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1
  ) {
    super(message)
    this.name = 'CliError'
  }
}
