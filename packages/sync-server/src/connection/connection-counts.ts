/**
 * Open connections, counted in total, per document, per client address and per token, so that
 * no one address or token can take the server's or a document's places: the server holds
 * `maxConnections`, a document `maxConnectionsPerDocument`, of which read-only connections may
 * take all but `writerReservePercent` (so a document's writers still get in when a read link
 * has been opened hundreds of times), one address `maxConnectionsPerAddress` and one token
 * `maxConnectionsPerToken` (0: no limit). A place is taken when a request is admitted, before
 * its upgrade completes, so requests admitted at the same moment cannot overshoot a limit.
 */

/** Connection limits (see ServerSettings). */
export interface ConnectionLimits {
  maxConnections: number
  maxConnectionsPerDocument: number
  maxConnectionsPerAddress: number
  maxConnectionsPerToken: number
  writerReservePercent: number
}

/** Who wants a place. */
export interface PlaceRequest {
  document: string
  address: string
  /** Fingerprint of the token; undefined in open mode. */
  token: string | undefined
  access: 'read' | 'write'
}

/** A taken place; `release()` gives it back (once, however often it is called). */
export interface Place {
  release(): void
}

/** The verdict on a request for a place. */
export type PlaceVerdict = { ok: true; place: Place } | { ok: false; status: number; message: string; reason: string }

interface DocumentCount {
  all: number
  readers: number
}

/** The counts, and the decision whether one more connection fits. */
export class ConnectionCounts {
  private total = 0
  private readonly documents = new Map<string, DocumentCount>()
  private readonly addresses = new Map<string, number>()
  private readonly tokens = new Map<string, number>()
  private readonly readerLimit: number

  constructor(private readonly limits: ConnectionLimits) {
    this.readerLimit = limits.maxConnectionsPerDocument - Math.floor((limits.maxConnectionsPerDocument * limits.writerReservePercent) / 100)
  }

  /** Take a place for `request`, or say which limit it meets. */
  take(request: PlaceRequest): PlaceVerdict {
    const { limits } = this
    const perAddress = limits.maxConnectionsPerAddress
    if (perAddress > 0 && (this.addresses.get(request.address) ?? 0) >= perAddress) {
      return refuse(429, `too many connections from your address (${perAddress}); close some and try again`, 'too_many_address_connections')
    }
    const perToken = limits.maxConnectionsPerToken
    if (request.token !== undefined && perToken > 0 && (this.tokens.get(request.token) ?? 0) >= perToken) {
      return refuse(429, `too many connections with this token (${perToken}); close some and try again`, 'too_many_token_connections')
    }
    if (this.total >= limits.maxConnections) return refuse(503, 'server has too many connections; try again later', 'too_many_connections')
    const document = this.documents.get(request.document) ?? { all: 0, readers: 0 }
    if (document.all >= limits.maxConnectionsPerDocument) {
      return refuse(503, 'document has too many connections; try again later', 'too_many_document_connections')
    }
    if (request.access === 'read' && document.readers >= this.readerLimit) {
      return refuse(503, 'document has too many read-only connections (the rest are kept for writers); try again later', 'too_many_read_connections')
    }
    this.total++
    document.all++
    if (request.access === 'read') document.readers++
    this.documents.set(request.document, document)
    increment(this.addresses, request.address, 1)
    if (request.token !== undefined) increment(this.tokens, request.token, 1)
    return { ok: true, place: new TakenPlace(this, request, document) }
  }

  /** Give back the place `request` took on `document`. */
  give(request: PlaceRequest, document: DocumentCount): void {
    this.total--
    document.all--
    if (request.access === 'read') document.readers--
    if (document.all === 0) this.documents.delete(request.document)
    increment(this.addresses, request.address, -1)
    if (request.token !== undefined) increment(this.tokens, request.token, -1)
  }
}

// A class, not a closure: every open connection holds one for as long as it lives.
class TakenPlace implements Place {
  private held = true

  constructor(
    private readonly counts: ConnectionCounts,
    private readonly request: PlaceRequest,
    private readonly document: DocumentCount
  ) {}

  release(): void {
    if (!this.held) return
    this.held = false
    this.counts.give(this.request, this.document)
  }
}

function refuse(status: number, message: string, reason: string): PlaceVerdict {
  return { ok: false, status, message, reason }
}

// Keys whose count falls to zero go, so the maps hold only what is open.
function increment(map: Map<string, number>, key: string, by: number): void {
  const count = (map.get(key) ?? 0) + by
  if (count > 0) map.set(key, count)
  else map.delete(key)
}
