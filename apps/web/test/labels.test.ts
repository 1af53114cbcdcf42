import type { EditorStatus } from '@quire/editor'
import { describe, expect, it } from 'vitest'
import { initials } from '../src/presence-view.js'
import { recentDocuments, rememberDocument } from '../src/recent-documents.js'
import { statusLabel, statusMessage } from '../src/status-view.js'

describe('initials', () => {
  it('takes the first letters of the first and last words', () => {
    expect(initials('Brave Otter')).toBe('BO')
    expect(initials('  ada  ')).toBe('A')
    expect(initials('Grace Brewster Murray Hopper')).toBe('GH')
    expect(initials('')).toBe('?')
  })
})

describe('status words', () => {
  const status = (change: Partial<EditorStatus>): EditorStatus => ({ connection: 'connected', saved: true, readOnly: false, ...change })

  it('says saved, saving, offline, read only, refused and stopped', () => {
    expect(statusLabel(status({}))).toBe('Saved')
    expect(statusLabel(status({ saved: false }))).toBe('Saving…')
    expect(statusLabel(status({ connection: 'offline', saved: false }))).toBe('Offline · not saved yet')
    expect(statusLabel(status({ readOnly: true, saved: false }))).toBe('Read only')
    expect(statusLabel(status({ connection: 'forbidden' }))).toBe('No access')
    expect(statusLabel(status({ connection: 'error', closeCode: 4501 }))).toBe('Sync stopped')
  })

  it('explains what needs explaining, with the server reason', () => {
    expect(statusMessage(status({}))).toBeUndefined()
    expect(statusMessage(status({ connection: 'offline' }))).toMatch(/^Cannot reach the server. Reconnecting… Keep writing/)
    expect(statusMessage(status({ connection: 'offline', reason: 'too many messages; slow down and reconnect', closeCode: 4529 }))).toMatch(
      /^Reconnecting: .* \(too many messages; slow down and reconnect\)\. Keep writing/
    )
    expect(statusMessage(status({ connection: 'unauthorized', reason: 'token expired.' }), { hasToken: true })).toMatch(/\(token expired\)\. Ask/)
    expect(statusMessage(status({ connection: 'unauthorized', reason: 'a token is required (?token=...)' }), { hasToken: false })).toMatch(
      /needs an access link/
    )
    expect(statusMessage(status({ readOnly: true, readOnlyReason: 'The access token only allows reading.' }))).toBe(
      'You can read this document but not edit it (the access token only allows reading).'
    )
    expect(statusMessage(status({ connection: 'forbidden', reason: 'HTTP says no.' }))).toMatch(/\(HTTP says no\)/)
  })

  it('explains each permanent error in words for people', () => {
    const damaged = statusMessage(status({ connection: 'error', closeCode: 4501, reason: 'stored document data is damaged; an operator must look at it' }))
    expect(damaged).toMatch(/cannot read this document's stored data \(stored document data is damaged; an operator must look at it\).*repair.*kept/)
    expect(statusMessage(status({ connection: 'error', closeCode: 4422, reason: 'update is malformed' }))).toMatch(
      /refused a change from this browser \(update is malformed\)/
    )
    expect(statusMessage(status({ connection: 'error', closeCode: 4400, reason: 'unknown message type 9' }))).toMatch(/could not understand this browser/)
    // Over a change of this browser's, reloading would send it again: the way out is offered.
    expect(statusMessage(status({ connection: 'error', closeCode: 1009, reason: 'message too big' }))).toMatch(
      /larger than the server accepts at once \(message too big\).*download it, then start again from the server's copy/
    )
    expect(statusMessage(status({ connection: 'error', closeCode: 4422 }))).toMatch(/download it, then start again/)
    expect(statusMessage(status({ connection: 'error', closeCode: 1011, reason: 'internal' }))).toMatch(/^Syncing stopped: .*\(internal\)/)
  })
})

describe('recent documents', () => {
  it('keeps the newest first, once each, at most twelve', () => {
    const items = new Map<string, string>()
    const storage = { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value) }
    for (let i = 0; i < 20; i++) rememberDocument(`doc-${i}`, i, storage)
    rememberDocument('doc-10', 100, storage)
    const recent = recentDocuments(storage)
    expect(recent).toHaveLength(12)
    expect(recent.slice(0, 2).map((d) => d.name)).toEqual(['doc-10', 'doc-19'])
    expect(new Set(recent.map((d) => d.name)).size).toBe(12)
  })

  it('survives garbage in storage', () => {
    expect(recentDocuments({ getItem: () => '{"not": "a list"}' })).toEqual([])
    expect(recentDocuments({ getItem: () => 'not json' })).toEqual([])
  })
})
