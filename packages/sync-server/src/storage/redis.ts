/**
 * The Redis adapter: the only module that touches `ioredis`. A {@link DocumentStore} whose log is
 * shared by every instance pointed at the same Redis (key schema and scripts: redis-scripts.ts),
 * plus what cluster mode needs beside storage: the doorbell channel per document, reads of what
 * other instances appended, and the server's persistence settings.
 *
 * Two connections: one for commands (auto-pipelined, so the appends of one event-loop turn leave
 * in one write) and one subscribed to the channels of the documents in memory. Neither queues a
 * command while Redis is unreachable, and a command in flight when the connection drops fails at
 * once: an append that cannot be confirmed is a failed write (DV4), never a silent retry.
 *
 * A connection that goes silent without closing (a lost route, a host that vanished: no FIN, no
 * RST) would otherwise hold every command sent on it forever, and a document's reader with them.
 * So a connection that leaves a command unanswered for the timeout is cut and made again: what
 * was in flight fails (and is retried by whoever sent it), and the subscription is renewed.
 */
import { randomBytes } from 'node:crypto'
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import { defaultSettings } from '../config.js'
import {
  APPEND_SCRIPT,
  COMPACT_SCRIPT,
  channelDocument,
  DELETE_SCRIPT,
  documentKeys,
  GONE,
  IMPORT_SCRIPT,
  metaDocument,
  metaPattern,
  READ_HISTORY_SCRIPT,
  READ_SCRIPT,
  WRITE_HISTORY_SCRIPT
} from './redis-scripts.js'
import {
  DocumentGoneError,
  type DocumentStore,
  HistoryConflictError,
  type HistoryWrite,
  SeqConflictError,
  type StoredDocument,
  type StoredHistory
} from './store.js'

/** Redis could not be reached at start-up, or the URL is not one we can use. */
export class RedisOpenError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause })
    this.name = 'RedisOpenError'
  }
}

/** One stored log entry, with the instance that appended it. */
export interface SharedLogEntry {
  seq: number
  value: Uint8Array
  instance: string
}

/** What was stored after a given seq: the snapshot when it reaches past it, then the log entries. */
export interface StoredSince {
  /** The seq the stored snapshot covers (-1: no snapshot). */
  through: number
  /** The snapshot, only when it reaches past the seq asked about. */
  snapshot: Uint8Array | undefined
  entries: SharedLogEntry[]
  /** How many times the document was deleted (CL11). */
  generation: number
}

/** A message on a document's channel. */
export type ChannelMessage =
  /** An entry was appended; `carried` is the entry itself (with the generation it was appended at) when it was small. */
  | { kind: 'bell'; seq: number; instance: string; carried?: { generation: number; value: Uint8Array } }
  | { kind: 'presence'; instance: string; update: Uint8Array }
  | { kind: 'deleted'; generation: number; instance: string }

interface ScriptCommands {
  quireAppend(meta: string, log: string, gen: string, seq: string, value: Uint8Array, instance: string, channel: string, generation: string): Promise<number>
  quireCompact(meta: string, snapshot: string, log: string, gen: string, through: string, value: Uint8Array, next: string, generation: string): Promise<number>
  quireImport(
    meta: string,
    snapshot: string,
    versions: string,
    head: string,
    seq: string,
    value: Uint8Array,
    ...history: Array<string | Buffer>
  ): Promise<number>
  quireReadBuffer(
    meta: string,
    snapshot: string,
    log: string,
    gen: string,
    after: string,
    next: string
  ): Promise<[number, Buffer | null, Array<[Buffer, Buffer[]]>, Buffer]>
  quireWriteHistory(versions: string, head: string, gen: string, ...args: Array<string | Buffer>): Promise<number>
  quireDelete(meta: string, snapshot: string, log: string, head: string, versions: string, gen: string, channel: string, instance: string): Promise<number>
  quireReadHistoryBuffer(versions: string, head: string): Promise<[Buffer | null, Buffer[]]>
}

// Each script with the number of keys it takes (the rest of its arguments are ARGV).
const SCRIPTS = [
  ['quireAppend', APPEND_SCRIPT, 3],
  ['quireCompact', COMPACT_SCRIPT, 4],
  ['quireRead', READ_SCRIPT, 4],
  ['quireImport', IMPORT_SCRIPT, 4],
  ['quireWriteHistory', WRITE_HISTORY_SCRIPT, 3],
  ['quireReadHistory', READ_HISTORY_SCRIPT, 2],
  ['quireDelete', DELETE_SCRIPT, 6]
] as const

// How many keys one SCAN step looks at on each server while listing.
const SCAN_COUNT = 1000

/** The persistence settings cluster mode requires, as [setting, required value, why]. */
export const REQUIRED_PERSISTENCE: ReadonlyArray<readonly [string, string, string]> = [
  ['appendonly', 'yes', 'without the append-only file a Redis restart loses every write since the last RDB snapshot'],
  ['appendfsync', 'always', 'anything but "always" lets Redis reply before the write is on disk, so a crash loses acknowledged writes'],
  ['maxmemory-policy', 'noeviction', 'an eviction policy lets Redis delete documents when it runs out of memory']
]

/** A {@link DocumentStore} in Redis, shared by every Quire instance using the same server. */
export class RedisStore implements DocumentStore {
  /** This process, as named in the entries it appends (random per start). */
  readonly instance = randomBytes(8).toString('hex')
  private readonly listeners = new Set<(name: string, message: ChannelMessage) => void>()
  private readonly reconnected = new Set<() => void>()
  private closed = false

  private constructor(
    private readonly commands: Client & ScriptCommands,
    private readonly subscriber: Client
  ) {
    for (const [name, lua, numberOfKeys] of SCRIPTS) commands.defineCommand(name, { lua, numberOfKeys })
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.dispatch(channel.toString(), message))
    let first = true
    // ioredis subscribes again on its own; what was published meanwhile is read back by the feed.
    subscriber.on('ready', () => {
      if (first) first = false
      else for (const callback of this.reconnected) callback()
    })
    // Connection errors surface through the commands that fail; the events would only repeat them.
    commands.on('error', () => {})
    subscriber.on('error', () => {})
  }

  /**
   * Connect to `url`: `redis://HOST:PORT` (or `rediss://`) for one server, or
   * `redis-cluster://HOST:PORT,HOST:PORT,…` for a Redis Cluster (any of its nodes), or
   * `redis-sentinel://HOST:PORT,…/<name>` for the primary the sentinels know as `name`. A connection
   * that leaves a command unanswered for `timeoutMs` is cut and made again. Rejects with
   * {@link RedisOpenError} if Redis cannot be reached.
   */
  static async open(url: string, timeoutMs = defaultSettings.redisTimeoutMs): Promise<RedisStore> {
    const target = parseRedisUrl(url)
    const redisOptions: RedisOptions = { maxRetriesPerRequest: 0, connectTimeout: 5_000, socketTimeout: timeoutMs }
    const retry = (attempt: number) => Math.min(attempt * 100, 1_000)
    const connection = (): Client => {
      const serverOptions: RedisOptions = { ...redisOptions, lazyConnect: true, enableOfflineQueue: false, enableAutoPipelining: true, retryStrategy: retry }
      if (target.kind === 'server') return new Redis(url, serverOptions)
      // Sentinel: ioredis asks the sentinels for the primary at every (re)connect.
      if (target.kind === 'sentinel') return new Redis({ ...serverOptions, sentinels: target.sentinels, name: target.master })
      const options: ClusterOptions = { redisOptions, lazyConnect: true, enableOfflineQueue: false, enableAutoPipelining: true, clusterRetryStrategy: retry }
      return new Cluster(target.nodes, options)
    }
    const commands = connection() as Client & ScriptCommands
    const subscriber = connection()
    const store = new RedisStore(commands, subscriber)
    try {
      await Promise.all([commands.connect(), subscriber.connect()])
    } catch (error) {
      commands.disconnect()
      subscriber.disconnect()
      throw new RedisOpenError(`cannot reach Redis at ${target.where}: ${error instanceof Error ? error.message : String(error)}`, error)
    }
    return store
  }

  /** Both connections are up. */
  get connected(): boolean {
    return this.commandsReady && this.subscriber.status === 'ready'
  }

  /** The command connection is up: reads and writes can be sent (doorbells may still be missed). */
  get commandsReady(): boolean {
    return this.commands.status === 'ready'
  }

  async read(name: string): Promise<StoredDocument> {
    const since = await this.readSince(name, -1)
    const log = since.entries.map(({ seq, value }) => ({ seq, value }))
    // A name never deleted reads as in any other store.
    return since.generation > 0 ? { snapshot: since.snapshot, log, generation: since.generation } : { snapshot: since.snapshot, log }
  }

  /** The snapshot if it reaches past `afterSeq`, and every log entry above `afterSeq`, read in one step. */
  async readSince(name: string, afterSeq: number): Promise<StoredSince> {
    const keys = documentKeys(name)
    const [through, snapshot, raw, generation] = await this.commands.quireReadBuffer(
      keys.meta,
      keys.snapshot,
      keys.log,
      keys.generation,
      String(afterSeq),
      String(afterSeq + 1)
    )
    const entries = raw.map(([id, fields]) => {
      const entry: SharedLogEntry = { seq: Number.parseInt(id.toString(), 10), value: new Uint8Array(0), instance: '' }
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const field = fields[i]!.toString()
        if (field === 'v') entry.value = new Uint8Array(fields[i + 1]!)
        else if (field === 'o') entry.instance = fields[i + 1]!.toString()
      }
      return entry
    })
    return { through, snapshot: snapshot ? new Uint8Array(snapshot) : undefined, entries, generation: Number(generation.toString()) }
  }

  /** Append, unless `name` was deleted since it was read at `generation` ({@link DocumentGoneError}). */
  async append(name: string, seq: number, value: Uint8Array, generation = 0): Promise<void> {
    const keys = documentKeys(name)
    const stored = await this.commands.quireAppend(
      keys.meta,
      keys.log,
      keys.generation,
      String(seq),
      Buffer.from(value),
      this.instance,
      keys.channel,
      String(generation)
    )
    if (stored === GONE) throw new DocumentGoneError(name)
    if (stored >= 0) throw new SeqConflictError(name, seq, stored)
  }

  /** Compact, unless `name` was deleted since it was read at `generation` ({@link DocumentGoneError}). */
  async compact(name: string, snapshot: Uint8Array, throughSeq: number, generation = 0): Promise<void> {
    const keys = documentKeys(name)
    const done = await this.commands.quireCompact(
      keys.meta,
      keys.snapshot,
      keys.log,
      keys.generation,
      String(throughSeq),
      Buffer.from(snapshot),
      String(throughSeq + 1),
      String(generation)
    )
    if (done === GONE) throw new DocumentGoneError(name)
  }

  /**
   * Store `snapshot` (covering seqs up to `throughSeq`) and `history` as all of `name`, in one
   * step, unless Redis has the document already; true if stored. It takes the name's current
   * generation (CL11).
   */
  async importDocument(name: string, snapshot: Uint8Array, throughSeq: number, history: StoredHistory): Promise<boolean> {
    const keys = documentKeys(name)
    const versions = history.head ? history.versions.flatMap(({ id, value }) => [String(id), Buffer.from(value)]) : []
    const head = history.head ? Buffer.from(history.head) : ''
    return (
      (await this.commands.quireImport(
        keys.meta,
        keys.snapshot,
        keys.versions,
        keys.historyHead,
        String(throughSeq),
        Buffer.from(snapshot),
        head,
        ...versions
      )) === 1
    )
  }

  async size(name: string): Promise<number> {
    const { snapshot, log } = await this.read(name)
    return (snapshot?.length ?? 0) + log.reduce((sum, entry) => sum + entry.value.length, 0)
  }

  async readHistoryHead(name: string): Promise<Uint8Array | undefined> {
    const head = await this.commands.getBuffer(documentKeys(name).historyHead)
    return head ? new Uint8Array(head) : undefined
  }

  async readHistory(name: string): Promise<StoredHistory> {
    const keys = documentKeys(name)
    const [head, flat] = await this.commands.quireReadHistoryBuffer(keys.versions, keys.historyHead)
    const versions: StoredHistory['versions'] = []
    for (let i = 0; i + 1 < flat.length; i += 2) versions.push({ id: Number(flat[i]!.toString()), value: new Uint8Array(flat[i + 1]!) })
    versions.sort((a, b) => a.id - b.id)
    return { head: head ? new Uint8Array(head) : undefined, versions }
  }

  async writeHistory(name: string, write: HistoryWrite): Promise<void> {
    const keys = documentKeys(name)
    const expect = write.expect === undefined ? ['0', ''] : ['1', write.expect === null ? '' : Buffer.from(write.expect)]
    const args: Array<string | Buffer> = [
      String(write.generation ?? 0),
      ...expect,
      Buffer.from(write.head),
      String(write.delete.length),
      ...write.delete.map(String)
    ]
    for (const { id, value } of write.put) args.push(String(id), Buffer.from(value))
    const done = await this.commands.quireWriteHistory(keys.versions, keys.historyHead, keys.generation, ...args)
    if (done === GONE) throw new DocumentGoneError(name)
    if (done === 0) throw new HistoryConflictError(name)
  }

  /**
   * Redis keeps no index of names (it would sit in another Cluster slot than the documents, out
   * of reach of their scripts): every page SCANs the meta keys under `prefix` on each primary.
   */
  async list(options: { prefix: string; after: string | undefined; limit: number }): Promise<string[]> {
    const { prefix, after, limit } = options
    if (limit <= 0) return []
    const names = new Set<string>()
    for (const server of this.servers()) {
      let cursor = '0'
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', metaPattern(prefix), 'COUNT', SCAN_COUNT)
        for (const key of keys) {
          const name = metaDocument(key)
          if (name?.startsWith(prefix) && (after === undefined || name > after)) names.add(name)
        }
        cursor = next
      } while (cursor !== '0')
    }
    return [...names].sort().slice(0, limit)
  }

  /** Delete everything of `name` in one script, fence out writers that read it before, and tell every instance (CL11). */
  async delete(name: string): Promise<void> {
    const keys = documentKeys(name)
    await this.commands.quireDelete(keys.meta, keys.snapshot, keys.log, keys.historyHead, keys.versions, keys.generation, keys.channel, this.instance)
  }

  /** The highest seq appended to each of `names` (0 for none), in one pipelined round trip. */
  async lastSeqs(names: string[]): Promise<number[]> {
    // Auto-pipelined: one write per node, and no pipeline spanning Cluster slots.
    const replies = await Promise.all(names.map((name) => this.commands.hget(documentKeys(name).meta, 'seq')))
    return replies.map((value) => (value === null ? 0 : Number(value)))
  }

  /** Hear `name`'s channel (doorbells and presence); resolves once Redis confirmed the subscription. */
  async subscribe(name: string): Promise<void> {
    await this.subscriber.subscribe(documentKeys(name).channel)
  }

  /** Stop hearing `name`'s channel. */
  async unsubscribe(name: string): Promise<void> {
    if (this.subscriber.status === 'ready') await this.subscriber.unsubscribe(documentKeys(name).channel)
  }

  /** Pass a presence (awareness) update to the other instances; never stored. */
  async publishPresence(name: string, update: Uint8Array): Promise<void> {
    await this.commands.publish(documentKeys(name).channel, Buffer.concat([Buffer.from(`p${this.instance}:`), update]))
  }

  /** Call `listener` with every message on a subscribed channel. */
  onMessage(listener: (name: string, message: ChannelMessage) => void): void {
    this.listeners.add(listener)
  }

  /** Call `callback` whenever the subscription connection is back after a drop (messages may have been missed). */
  onReconnect(callback: () => void): void {
    this.reconnected.add(callback)
  }

  /**
   * One round trip to Redis on both connections, in seconds (the slower one). The subscription
   * connection otherwise only listens: a ping is what lets a silent one be found and made again.
   */
  async ping(): Promise<number> {
    const started = performance.now()
    await Promise.all([this.commands.ping(), this.subscriber.ping()])
    return (performance.now() - started) / 1000
  }

  /** The persistence settings that can lose acknowledged writes, each as a sentence naming it. */
  async persistenceProblems(): Promise<string[]> {
    const problems: string[] = []
    // In a Cluster every primary holds documents: each must keep them.
    const servers = this.servers()
    for (const server of servers) {
      const where = servers.length > 1 ? ` (${server.options.host}:${server.options.port})` : ''
      for (const [setting, required, why] of REQUIRED_PERSISTENCE) {
        const reply = (await server.config('GET', setting)) as string[]
        const value = reply[1]
        if (value !== required) problems.push(`Redis${where} ${setting} is ${JSON.stringify(value ?? '(unknown)')}, not "${required}": ${why}`)
      }
    }
    return problems
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.listeners.clear()
    this.reconnected.clear()
    await Promise.allSettled([this.commands.quit(), this.subscriber.quit()])
    this.commands.disconnect()
    this.subscriber.disconnect()
  }

  // The servers holding documents: the one server, or every primary of a Cluster.
  private servers(): Redis[] {
    return this.commands instanceof Cluster ? this.commands.nodes('master') : [this.commands]
  }

  private dispatch(channel: string, message: Buffer): void {
    const name = channelDocument(channel)
    if (name === undefined) return
    const parsed = parseMessage(message)
    if (parsed) for (const listener of this.listeners) listener(name, parsed)
  }
}

// One server or a Cluster: the same commands either way (a document's keys share one slot).
type Client = Redis | Cluster

type Address = { host: string; port: number }

// What `--redis` names: one server (ioredis takes the URL itself), a Cluster's nodes, or the
// sentinels that know a primary by name.
function parseRedisUrl(
  url: string
):
  | { kind: 'server'; where: string }
  | { kind: 'cluster'; where: string; nodes: Address[] }
  | { kind: 'sentinel'; where: string; sentinels: Address[]; master: string } {
  const cluster = /^redis-cluster:\/\/(.+)$/.exec(url)
  if (cluster) {
    const nodes = addresses(cluster[1]!)
    if (!nodes) throw new RedisOpenError(`--redis ${JSON.stringify(url)}: a Cluster URL lists nodes as redis-cluster://HOST:PORT,HOST:PORT`)
    return { kind: 'cluster', where: cluster[1]!, nodes }
  }
  const sentinel = /^redis-sentinel:\/\/([^/]+)\/([^/]+)$/.exec(url)
  if (url.startsWith('redis-sentinel:')) {
    const sentinels = sentinel && addresses(sentinel[1]!)
    if (!sentinel || !sentinels) {
      throw new RedisOpenError(`--redis ${JSON.stringify(url)}: a Sentinel URL is redis-sentinel://HOST:PORT,HOST:PORT/<primary name>`)
    }
    return { kind: 'sentinel', where: `${sentinel[2]} via sentinels ${sentinel[1]}`, sentinels, master: decodeURIComponent(sentinel[2]!) }
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new RedisOpenError(`--redis ${JSON.stringify(url)} is not a URL (expected redis://HOST:PORT)`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisOpenError(`--redis must be a redis://, rediss://, redis-cluster:// or redis-sentinel:// URL, not ${parsed.protocol}`)
  }
  return { kind: 'server', where: parsed.host }
}

// `HOST:PORT,HOST:PORT`, or undefined if it is not that.
function addresses(list: string): Address[] | undefined {
  const parsed = list.split(',').map((node) => /^([^:/,]+):(\d{1,5})$/.exec(node.trim()))
  if (parsed.length === 0 || parsed.some((node) => !node || Number(node[2]) > 65535)) return undefined
  return parsed.map((node) => ({ host: node![1]!, port: Number(node![2]) }))
}

// `b<seq>:<instance>`, `d<generation>:<instance>` or `p<instance>:<awareness update>`; anything else is not ours and ignored.
function parseMessage(message: Buffer): ChannelMessage | undefined {
  const colon = message.indexOf(0x3a)
  if (colon < 0) return undefined
  const head = message.subarray(1, colon).toString()
  if (message[0] === 0x62 || message[0] === 0x64) {
    const n = Number.parseInt(head, 10)
    if (!Number.isSafeInteger(n)) return undefined
    const instance = message.subarray(colon + 1).toString()
    return message[0] === 0x62 ? { kind: 'bell', seq: n, instance } : { kind: 'deleted', generation: n, instance }
  }
  if (message[0] === 0x70) return { kind: 'presence', instance: head, update: new Uint8Array(message.subarray(colon + 1)) }
  if (message[0] === 0x65) {
    // e<seq>:<generation>:<instance>:<value>; the value is binary, and everything after the third colon.
    const second = message.indexOf(0x3a, colon + 1)
    const third = second < 0 ? -1 : message.indexOf(0x3a, second + 1)
    if (third < 0) return undefined
    const seq = Number.parseInt(head, 10)
    const generation = Number.parseInt(message.subarray(colon + 1, second).toString(), 10)
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(generation)) return undefined
    const instance = message.subarray(second + 1, third).toString()
    return { kind: 'bell', seq, instance, carried: { generation, value: new Uint8Array(message.subarray(third + 1)) } }
  }
  return undefined
}
