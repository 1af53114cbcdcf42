import { describe, expect, it } from 'vitest'
import { accessUrl, checkAccess, claimedAccess, interpretAccess } from '../src/access.js'

describe('access', () => {
  it('reads the access a token claims, and nothing from what is not a Quire token', () => {
    const jwt = (claims: unknown) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
    expect(claimedAccess(jwt({ doc: 'a', access: 'read', user: 'Zoë ✓' }))).toBe('read')
    expect(claimedAccess(jwt({ doc: 'a', access: 'write' }))).toBe('write')
    for (const token of [undefined, '', 'opaque', 'a.b.c', jwt({ access: 'admin' }), jwt(null), 'e30.%%%.x']) expect(claimedAccess(token)).toBeUndefined()
  })

  it('builds the endpoint from a ws or http server URL', () => {
    expect(accessUrl('ws://127.0.0.1:1234', 'notes/to day', 'a b')).toBe('http://127.0.0.1:1234/api/access/notes/to%20day?token=a+b')
    expect(accessUrl('wss://example.com/quire/', 'x')).toBe('https://example.com/quire/api/access/x')
  })

  it('reads the answers', () => {
    expect(interpretAccess(200, { access: 'read' })).toEqual({ kind: 'granted', access: 'read' })
    expect(interpretAccess(401, { error: 'token expired' })).toEqual({ kind: 'refused', connection: 'unauthorized', reason: 'token expired' })
    expect(interpretAccess(403, null)).toMatchObject({ kind: 'refused', connection: 'forbidden' })
    expect(interpretAccess(429, { error: 'too many failed authentications; try again in 60 s' })).toEqual({
      kind: 'wait',
      reason: 'too many failed authentications; try again in 60 s'
    })
    expect(interpretAccess(404, 'not found')).toEqual({ kind: 'unknown' })
    expect(interpretAccess(200, { access: 'admin' })).toEqual({ kind: 'unknown' })
  })

  it('treats an unreachable server as unknown', async () => {
    const failing = (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch
    expect(await checkAccess('http://127.0.0.1:9/api/access/x', failing)).toEqual({ kind: 'unknown' })
  })
})
