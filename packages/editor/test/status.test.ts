import { describe, expect, it } from 'vitest'
import { initialStatus, nextStatus, type EditorStatus, type StatusEvent } from '../src/status.js'

const run = (events: StatusEvent[], start: EditorStatus = initialStatus(false)): EditorStatus =>
  events.reduce(nextStatus, start)

describe('status', () => {
  it('starts connecting, saved, editable unless asked', () => {
    expect(initialStatus(false)).toEqual({ connection: 'connecting', saved: true, readOnly: false })
    expect(initialStatus(true).readOnly).toBe(true)
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
    const refused = run([{ type: 'refused', connection: 'forbidden', reason: 'wrong document' }, { type: 'connecting' }, { type: 'synced' }, { type: 'disconnected' }])
    expect(refused).toMatchObject({ connection: 'forbidden', reason: 'wrong document', readOnly: true })
  })

  it('becomes read-only with a reason and tracks saved', () => {
    expect(run([{ type: 'read-only', reason: 'read token' }, { type: 'saved', saved: false }])).toMatchObject({ readOnly: true, reason: 'read token', saved: false })
  })

  it('returns the same object when nothing changes', () => {
    const status = run([{ type: 'synced' }])
    expect(nextStatus(status, { type: 'synced' })).toBe(status)
    expect(nextStatus(status, { type: 'saved', saved: true })).toBe(status)
  })
})
