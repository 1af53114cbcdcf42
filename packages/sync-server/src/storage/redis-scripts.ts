/**
 * The Redis key schema and the Lua scripts that keep a document's keys consistent (README
 * "Running several instances"). Pure: the Redis adapter (redis.ts) runs these and never builds a
 * key itself. Per document, every key carries the hash tag `{name}`, so one Redis Cluster slot
 * holds all of them and each script touches one slot (names never contain `{`, `}` or `:`, N3):
 *
 *   quire:{name}:meta   hash: `seq` the highest seq appended, `through` the seq the snapshot covers
 *   quire:{name}:snap   the snapshot record
 *   quire:{name}:log    stream: one entry per log record, id `<seq>-0`, fields `v` (record), `o` (instance)
 *   quire:{name}:bell   pub/sub channel: `b<seq>:<instance>` after an append, `p<instance>:<awareness>` for presence
 *   quire:{name}:vh     the history head record
 *   quire:{name}:v      hash: version id (decimal) → version record (history)
 *   quire:{name}:gen    how many times the document was deleted (absent: never); kept after a deletion
 *
 * The generation fences a deletion (CL11): every write names the generation its document was
 * loaded at, and a write naming an older one is refused, so an instance that has not yet heard of
 * a deletion can neither bring the document back nor write into a new one of the same name.
 *
 * Every script is atomic: with `appendfsync always`, Redis writes its effects to the AOF before
 * it replies to anyone, so a crash keeps all of a script or none of it.
 */

/** The keys of one document, in the order the scripts take them. */
export function documentKeys(name: string): {
  meta: string
  snapshot: string
  log: string
  channel: string
  historyHead: string
  versions: string
  generation: string
} {
  const tag = `quire:{${name}}`
  return {
    meta: `${tag}:meta`,
    snapshot: `${tag}:snap`,
    log: `${tag}:log`,
    channel: `${tag}:bell`,
    historyHead: `${tag}:vh`,
    versions: `${tag}:v`,
    generation: `${tag}:gen`
  }
}

/** What a script returns when the document was deleted since the writer loaded it (its generation is older). */
export const GONE = -2

/** The document a channel belongs to, or undefined if it is not one of ours. */
export function channelDocument(channel: string): string | undefined {
  const match = /^quire:\{([^{}]*)\}:bell$/.exec(channel)
  return match?.[1]
}

/**
 * The SCAN pattern of the meta keys of documents whose names start with `prefix`. Every stored
 * document (snapshot or log entry) has a meta key, and a history alone makes none, as in LevelDB.
 */
export function metaPattern(prefix: string): string {
  return `quire:{${prefix.replace(/[*?[\]\\]/g, '\\$&')}*}:meta`
}

/** The document a meta key belongs to, or undefined if it is not one of ours. */
export function metaDocument(key: string): string | undefined {
  const match = /^quire:\{([^{}]*)\}:meta$/.exec(key)
  return match?.[1]
}

/**
 * The largest entry a doorbell carries (CL4): an instance exactly one entry behind applies it
 * without reading the stream. Typing makes entries of tens of bytes; a paste or an import that
 * makes a larger one is read from the stream, which keeps the channel (broadcast to every node of
 * a Cluster) light.
 */
export const CARRIED_ENTRY_BYTES = 8 * 1024

/**
 * Append one log entry. KEYS: meta, log, generation. ARGV: seq, value, instance, channel,
 * generation. An append naming another generation than the stored one returns {@link GONE}. An
 * append whose seq is not above the highest one stored is refused (another instance appended
 * first): it returns that highest seq and changes nothing. Otherwise it returns -1 after the
 * XADD and the doorbell, which carries the entry when it is small: `e<seq>:<generation>:<instance>:<value>`,
 * else `b<seq>:<instance>`. Seqs travel as decimal strings, never through Lua numbers' formatting.
 */
export const APPEND_SCRIPT = `
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[5] then return -2 end
local last = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if tonumber(ARGV[1]) <= last then return last end
redis.call('XADD', KEYS[2], ARGV[1] .. '-0', 'v', ARGV[2], 'o', ARGV[3])
redis.call('HSET', KEYS[1], 'seq', ARGV[1])
if #ARGV[2] <= ${CARRIED_ENTRY_BYTES} then
  redis.call('PUBLISH', ARGV[4], 'e' .. ARGV[1] .. ':' .. ARGV[5] .. ':' .. ARGV[3] .. ':' .. ARGV[2])
else
  redis.call('PUBLISH', ARGV[4], 'b' .. ARGV[1] .. ':' .. ARGV[3])
end
return -1
`

/**
 * Store a snapshot and trim the log it covers, guarded by a compare-and-set on how far the stored
 * snapshot reaches. KEYS: meta, snapshot, log. ARGV: throughSeq, snapshot, throughSeq + 1.
 * A snapshot reaching less far than the stored one changes nothing (returns 0): two compactors
 * racing leave the one that reaches further, and neither drops an entry the surviving snapshot
 * does not cover. Returns 1 when it stored. KEYS[4] and ARGV[4]: the generation, as for appends
 * ({@link GONE} when it is not the stored one).
 */
export const COMPACT_SCRIPT = `
if (redis.call('GET', KEYS[4]) or '0') ~= ARGV[4] then return -2 end
local current = tonumber(redis.call('HGET', KEYS[1], 'through') or '-1')
if tonumber(ARGV[1]) < current then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'through', ARGV[1])
redis.call('XTRIM', KEYS[3], 'MINID', ARGV[3] .. '-0')
return 1
`

/**
 * Read what was stored after `afterSeq`, in one step. KEYS: meta, snapshot, log, generation.
 * ARGV: afterSeq (-1 for everything), afterSeq + 1. Returns { through, snapshot or false,
 * entries, generation }: the snapshot only when it reaches past afterSeq (the entries it covers
 * are gone from the log), and every log entry above afterSeq.
 */
export const READ_SCRIPT = `
local through = tonumber(redis.call('HGET', KEYS[1], 'through') or '-1')
local snapshot = false
if through > tonumber(ARGV[1]) then snapshot = redis.call('GET', KEYS[2]) end
local entries = redis.call('XRANGE', KEYS[3], ARGV[2] .. '-0', '+')
return { through, snapshot, entries, redis.call('GET', KEYS[4]) or '0' }
`

/**
 * Bring in a document from elsewhere (`quire migrate-to-redis`) as a snapshot through `seq`, with
 * its history, in one step, only if Redis has nothing of it: an existing document is never
 * overwritten. It comes in as the current generation of its name (a name deleted before keeps its
 * count, CL11), so instances read and write it like any other, and a copy loaded before that
 * deletion stays fenced out. KEYS: meta, snapshot, versions, head. ARGV: seq, snapshot, head
 * record (empty: no history), then id and record pairs. Returns 1 when stored, 0 when the
 * document already exists.
 */
export const IMPORT_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'through', ARGV[1])
if ARGV[3] ~= '' then
  redis.call('DEL', KEYS[3])
  for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
  redis.call('SET', KEYS[4], ARGV[3])
end
return 1
`

/**
 * Change a document's history in one step, as a compare-and-set on its head (HS13): two
 * instances cutting versions of one document never both write version n. KEYS: versions, head,
 * generation. ARGV: generation, `1` and the head record the writer read (`0` and anything: no
 * check; `1` and an empty string: there must be no head), new head record, the number of ids to
 * delete, those ids, then id and record pairs to store (ids in decimal). Returns 1 when written,
 * 0 when the head is not the one expected (nothing written), {@link GONE} when the document was
 * deleted since.
 */
export const WRITE_HISTORY_SCRIPT = `
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[1] then return -2 end
if ARGV[2] == '1' and (redis.call('GET', KEYS[2]) or '') ~= ARGV[3] then return 0 end
local deletes = tonumber(ARGV[5])
for i = 6, deletes + 5 do redis.call('HDEL', KEYS[1], ARGV[i]) end
for i = deletes + 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[2], ARGV[4])
return 1
`

/**
 * Delete a document (CL11): every key of it in one step, its generation counted up (fencing the
 * writes of instances that loaded it before), and a doorbell `d<generation>:<instance>` so that
 * every instance closes its clients. KEYS: meta, snapshot, log, head, versions, generation.
 * ARGV: channel, instance. Returns the new generation.
 */
export const DELETE_SCRIPT = `
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
local generation = redis.call('INCR', KEYS[6])
redis.call('PUBLISH', ARGV[1], 'd' .. generation .. ':' .. ARGV[2])
return generation
`

/**
 * Read a document's history in one step. KEYS: versions, head. Returns { head or false, the
 * versions hash as id, record, id, record, … in no particular order }.
 */
export const READ_HISTORY_SCRIPT = `
return { redis.call('GET', KEYS[2]), redis.call('HGETALL', KEYS[1]) }
`
