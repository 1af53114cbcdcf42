/**
 * `POST /api/admin/backup` (BK1), admin credential only: the whole store as one backup stream
 * (storage/backup-stream.ts), read from one LevelDB snapshot taken when the request is admitted.
 * The server keeps serving meanwhile; the stream is sent as fast as the caller reads it.
 * `quire backup --url` calls it and writes the stream into a new LevelDB folder.
 */
import { once } from 'node:events'
import { encodeBackup } from '../../backup/copy.js'
import { BACKUP_MEDIA_TYPE } from '../../storage/backup-stream.js'
import { adminAccess } from '../admin-access.js'
import type { ApiCall, ApiRoute } from '../api-router.js'
import { HttpError } from '../http-error.js'

/** The routes of this module. */
export const adminBackupRoutes: readonly ApiRoute[] = [{ path: '/api/admin/backup', methods: { POST: backup } }]

async function backup(call: ApiCall): Promise<void> {
  const admin = await adminAccess(call)
  const { res, ctx } = call
  // The backup's instant: every change acknowledged before this line is in it.
  const reader = ctx.registry.snapshot()
  // Only Redis (cluster mode) has none: Redis' own persistence files are its backup.
  if (!reader) {
    throw new HttpError(
      501,
      'this server keeps its documents in Redis (--redis): an online backup copies a LevelDB folder only; back up Redis itself (BGSAVE, then copy its dump.rdb, or copy its append-only directory; README "Backups in cluster mode")'
    )
  }
  const started = performance.now()
  res.writeHead(200, { 'Content-Type': BACKUP_MEDIA_TYPE, 'Cache-Control': 'no-store' })
  let bytes = 0
  try {
    for await (const piece of encodeBackup(reader)) {
      if (res.destroyed) break
      bytes += piece.length
      // Read no further than the caller takes: a slow reader holds the snapshot, not memory.
      if (!res.write(piece)) await Promise.race([once(res, 'drain'), once(res, 'close')])
    }
  } catch (error) {
    ctx.metrics.errors.inc({ kind: 'backup' })
    ctx.log.error({ err: error, admin: admin.user }, 'online backup failed; the stream was cut (the caller sees it incomplete)')
    res.destroy()
    return
  }
  if (res.destroyed) {
    ctx.log.warn({ admin: admin.user, bytes }, 'online backup abandoned by the caller')
    return
  }
  res.end()
  ctx.log.info({ admin: admin.user, bytes, ms: Math.round(performance.now() - started) }, 'online backup sent')
}
