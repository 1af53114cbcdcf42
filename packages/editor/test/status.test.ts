import { describe, expect, it } from 'vitest'
import { type EditorStatus, initialStatus, nextStatus, type StatusEvent } from '../src/status.js'

const run = (events: StatusEvent[], start: EditorStatus = initialStatus(false)): EditorStatus => events.reduce(nextStatus, start)

describe('status', () => {
  it('starts connecting, saved, editable unless asked', () => {
    expect(initialStatus(false)).toEqual({ connection: 'connecting', saved: true, readOnly: false })
    expect(initialStatus(true).readOnly).toBe(true)
  })

  it('waits read-only for the server, lifted only by its word (or by no answer)', () => {
    const waiting = initialStatus(false, true)
    expect(waiting).toEqual({ connection: 'connecting', saved: true, readOnly: true, awaitingAccess: true })
    expect(run([{ type: 'synced' }, { type: 'writable' }], waiting)).toEqual({ connection: 'connected', saved: true, readOnly: false })
    // A read-only the token or the server imposed stays, whatever comes after.
    expect(run([{ type: 'read-only', reason: 'read token' }, { type: 'writable' }], waiting)).toEqual({
      connection: 'connecting',
      saved: true,
      readOnly: true,
      readOnlyReason: 'read token'
    })
    expect(run([{ type: 'writable' }], initialStatus(true)).readOnly).toBe(true)
    expect(run([{ type: 'stopped', connection: 'unauthorized', reason: 'no token' }, { type: 'writable' }], waiting)).toMatchObject({ readOnly: true })
  })

  it('is connected once synced, offline once the socket closes', () => {
    expect(run([{ type: 'connecting' }, { type: 'synced' }]).connection).toBe('connected')
    expect(run([{ type: 'synced' }, { type: 'disconnected' }]).connection).toBe('offline')
  })

  it('stays offline through retries until a connection syncs', () => {
    const offline = run([{ type: 'disconnected' }, { type: 'connecting' }])
    expect(offline.connection).toBe('offline')
    expect(nextStatus(offline, { type: 'synced' }).connection).toBe('connected')
  })

  it('treats a refusal as final, keeping its reason', () => {
    const refused = run([
      { type: 'stopped', connection: 'forbidden', reason: 'wrong document' },
      { type: 'connecting' },
      { type: 'synced' },
      { type: 'disconnected', reason: 'x' }
    ])
    expect(refused).toEqual({ connection: 'forbidden', reason: 'wrong document', readOnly: true, saved: true })
  })

  it('treats a permanent error as final, with the close code and reason', () => {
    const failed = run([
      { type: 'synced' },
      { type: 'stopped', connection: 'error', reason: 'stored document data is damaged', closeCode: 4501 },
      { type: 'synced' },
      { type: 'stopped', connection: 'unauthorized', reason: 'later' }
    ])
    expect(failed).toEqual({ connection: 'error', reason: 'stored document data is damaged', closeCode: 4501, readOnly: true, saved: true })
    expect(nextStatus(failed, { type: 'saved', saved: false }).saved).toBe(false)
  })

  it('keeps the last explanation while offline and drops it once synced', () => {
    const restarting = run([
      { type: 'synced' },
      { type: 'disconnected', reason: 'server shutting down', closeCode: 1001 },
      { type: 'connecting' },
      { type: 'disconnected' }
    ])
    expect(restarting).toEqual({ connection: 'offline', reason: 'server shutting down', closeCode: 1001, saved: true, readOnly: false })
    expect(nextStatus(restarting, { type: 'synced' })).toEqual({ connection: 'connected', saved: true, readOnly: false })
  })

  it('becomes read-only with a reason and tracks saved', () => {
    expect(
      run([
        { type: 'read-only', reason: 'read token' },
        { type: 'saved', saved: false }
      ])
    ).toMatchObject({ readOnly: true, readOnlyReason: 'read token', saved: false })
  })

  it('returns the same object when nothing changes', () => {
    const status = run([{ type: 'synced' }])
    expect(nextStatus(status, { type: 'synced' })).toBe(status)
    expect(nextStatus(status, { type: 'saved', saved: true })).toBe(status)
  })
})
