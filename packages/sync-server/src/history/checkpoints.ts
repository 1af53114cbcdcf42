/**
 * Checkpoints (HS1, HS12): now and then a version record also carries a state to open later
 * versions from, so that opening any version replays a bounded amount of updates instead of every
 * one since the first.
 *
 * Placed by replay cost, not by count: a checkpoint is due once the versions since the last one
 * cost {@link replayBound} to replay (their updates' bytes, plus {@link VERSION_COST} each for
 * reading and applying a record). A checkpoint is the Yjs update from the previous checkpoint's
 * state to this version's (a "span"), not the whole state: the spans of a history together are
 * about one state's size, so many fit where few whole states would. Once the spans since the last
 * whole state would cost more than {@link CHAIN_SHARE} states to apply (text written and deleted
 * again), the checkpoint is a whole state instead. Checkpoints are encoded as Yjs V2 updates
 * (a third smaller than V1 once deflated). All version records together stay within
 * {@link CHECKPOINT_BUDGET} times the document's state: a due checkpoint that does not fit waits
 * for another bound of replay.
 *
 * The recorder, retention and the benchmark all place checkpoints through here.
 */
import * as Y from 'yjs'
import { type HistoryHead, type VersionRecord, writeVersionRecord } from '../storage/history-records.js'
import { baseOf, deleteRangesOf, EMPTY_BASE, updateSince, type VersionBase } from './delta.js'

/** All version records, checkpoints included, stay within this multiple of the state's size. */
export const CHECKPOINT_BUDGET = 1.4

/** Replay cost of one version beyond its update's bytes: inflating, decoding and applying a record. */
export const VERSION_COST = 512

/** Replay cost below which no checkpoint is due, however small the document. */
export const MIN_REPLAY = 64 * 1024

/** Share of the state's size (estimated by the checkpoint chain) that may be replayed past a checkpoint. */
export const REPLAY_SHARE = 0.5

/** The spans from the last whole state may cost this many states to apply before the next checkpoint is whole. */
export const CHAIN_SHARE = 2

/** What the checkpoint policy keeps count of (the history head does). */
export type CheckpointProgress = Pick<HistoryHead, 'bytes' | 'sinceCheckpoint' | 'replay' | 'chain' | 'checkpointId' | 'checkpointBase'>

/** A history with no checkpoint yet. */
export function noCheckpoint(): Pick<HistoryHead, 'sinceCheckpoint' | 'replay' | 'chain' | 'checkpointId' | 'checkpointBase'> {
  return { sinceCheckpoint: 0, replay: 0, chain: 0, checkpointId: 0, checkpointBase: EMPTY_BASE }
}

/**
 * The replay cost past a checkpoint after which the next one is due, for a checkpoint chain of
 * `chain` (which costs about as much as the state it builds, so it stands for the state's size
 * without encoding it at every cut).
 */
export function replayBound(chain: number): number {
  return Math.max(MIN_REPLAY, REPLAY_SHARE * chain)
}

/** The replay cost of a version whose update (V1) is `deltaBytes` long. */
export function versionCost(deltaBytes: number): number {
  return deltaBytes + VERSION_COST
}

/**
 * Encode `record` (the version `ydoc` is now), with a checkpoint when one is due and fits the
 * budget; updates `progress`. The document is encoded only when a checkpoint is due.
 */
export function encodeVersion(progress: CheckpointProgress, record: VersionRecord, ydoc: Y.Doc): Uint8Array {
  return place(progress, record, ydoc, writeVersionRecord(record))
}

/**
 * Retention keeps `record` (stored as `stored`; undefined when it was merged and is written anew),
 * the version `ydoc` is now. Its checkpoint stays while the checkpoints it builds on are kept
 * (`chains`: the chain cost of every kept checkpoint so far, by id); a checkpoint that lost its
 * base, or a merged record, is placed again as a new version would be, so the replay bound holds
 * after merging too. Updates `progress` and `chains`; returns `stored` itself when it stays.
 */
export function reviseVersion(
  progress: CheckpointProgress,
  chains: Map<number, number>,
  record: VersionRecord,
  stored: Uint8Array | undefined,
  ydoc: Y.Doc
): Uint8Array {
  const { checkpoint, ...bare } = record
  if (stored && checkpoint) {
    const baseChain = checkpoint.base === 0 ? 0 : chains.get(checkpoint.base)
    if (baseChain !== undefined) {
      const chain = baseChain + (checkpoint.encoding === 1 ? checkpoint.update.length : Y.convertUpdateFormatV2ToV1(checkpoint.update).length)
      checkpointed(progress, record.id, chain, baseOf(ydoc))
      chains.set(record.id, chain)
      progress.bytes += stored.length
      return stored
    }
  }
  const bytes = place(progress, bare, ydoc, stored && !checkpoint ? stored : writeVersionRecord(bare))
  if (progress.checkpointId === record.id) chains.set(record.id, progress.chain)
  return bytes
}

// Encode `record` (plainly encoded as `plain`), with a checkpoint when due and within budget.
function place(progress: CheckpointProgress, record: VersionRecord, ydoc: Y.Doc, plain: Uint8Array): Uint8Array {
  let bytes = plain
  const cost = versionCost(record.delta.length)
  // A checkpoint right after the last one would only repeat this version's update.
  const due = progress.sinceCheckpoint > 0 && progress.replay + cost >= replayBound(progress.chain)
  progress.replay += cost
  progress.sinceCheckpoint++
  if (due) {
    const deleted = deleteRangesOf(ydoc)
    const state = Y.encodeStateAsUpdate(ydoc)
    let span = updateSince(ydoc, progress.checkpointBase, deleted)
    let base = progress.checkpointId
    let chain = progress.chain + span.length
    if (base !== 0 && chain > CHAIN_SHARE * state.length) {
      span = state
      base = 0
      chain = state.length
    }
    const withCheckpoint = writeVersionRecord({ ...record, checkpoint: { base, update: Y.convertUpdateFormatV1ToV2(span), encoding: 2 } })
    if (progress.bytes + withCheckpoint.length <= CHECKPOINT_BUDGET * state.length) {
      bytes = withCheckpoint
      checkpointed(progress, record.id, chain, baseOf(ydoc, deleted))
    }
    // Due but too large: wait another bound of replay rather than encode the state at every cut.
    progress.replay = 0
  }
  progress.bytes += bytes.length
  return bytes
}

function checkpointed(progress: CheckpointProgress, id: number, chain: number, base: VersionBase): void {
  progress.chain = chain
  progress.checkpointId = id
  progress.checkpointBase = base
  progress.replay = 0
  progress.sinceCheckpoint = 0
}
