/**
 * Opt-in protocol extensions (rule X1 in PROTOCOL.md). A client lists the ones it wants in the
 * `ext` query parameter (`?ext=ack`); a client that lists none is a stock y-websocket client
 * and never receives a message type it does not know.
 */

/** The query parameter that carries the extension list. */
export const EXTENSIONS_PARAM = 'ext'

/** Extensions this protocol version defines. */
export const Extension = {
  /** The server acknowledges each update-bearing frame once it is durable (F8). */
  Ack: 'ack',
  /** The server tells the document's clients about new versions and restores (F10). */
  History: 'history'
} as const

/** An extension name from {@link Extension}. */
export type ExtensionName = (typeof Extension)[keyof typeof Extension]

const KNOWN = new Set<string>(Object.values(Extension))
// Shared by every connection that asks for none (most do): one set, not one per connection.
const NONE: ReadonlySet<ExtensionName> = new Set()

/** Read the extensions a client asked for; unknown names are ignored so clients can be newer. */
export function parseExtensions(value: string | null | undefined): ReadonlySet<ExtensionName> {
  const wanted = new Set<ExtensionName>()
  for (const part of (value ?? '').split(',')) {
    const name = part.trim()
    if (KNOWN.has(name)) wanted.add(name as ExtensionName)
  }
  return wanted.size === 0 ? NONE : wanted
}

/** Format an extension list for the `ext` query parameter. */
export function formatExtensions(names: Iterable<ExtensionName>): string {
  return [...new Set(names)].sort().join(',')
}
