/**
 * Checkpoints (HS1): now and then a version record also carries the whole state at that version,
 * so that opening any version replays at most about {@link CHECKPOINT_VERSIONS} updates instead of
 * every one since the first. A checkpoint is stored only while all version records together stay
 * within {@link CHECKPOINT_BUDGET} times the document's state, so history stays near the
 * document's size (early checkpoints, of a smaller document, cost least).
 */
import { type VersionRecord, writeVersionRecord } from '../storage/history-records.js'

/** Versions between two checkpoints at most, budget allowing. */
export const CHECKPOINT_VERSIONS = 128

/** All version records, checkpoints included, stay within this multiple of the state's size. */
export const CHECKPOINT_BUDGET = 1.4

/** What the checkpoint policy keeps count of (the history head does). */
export interface CheckpointProgress {
  bytes: number
  sinceCheckpoint: number
}

/**
 * Encode `record`, with a checkpoint of `state()` when one is due and fits the budget; updates
 * `progress`. `state` is called only when a checkpoint is due.
 */
export function encodeVersion(progress: CheckpointProgress, record: VersionRecord, state: () => Uint8Array): Uint8Array {
  let bytes = writeVersionRecord(record)
  if (progress.sinceCheckpoint + 1 >= CHECKPOINT_VERSIONS) {
    const whole = state()
    const withCheckpoint = writeVersionRecord({ ...record, checkpoint: whole })
    if (progress.bytes + withCheckpoint.length <= CHECKPOINT_BUDGET * whole.length) bytes = withCheckpoint
    // Due but too large: wait another round rather than encode the state at every cut.
    progress.sinceCheckpoint = 0
  } else progress.sinceCheckpoint++
  progress.bytes += bytes.length
  return bytes
}
