/**
 * The pure rules behind admission's per-address limits and Origin check: which address a request
 * counts under (trusted proxies), and how allow-list entries are read.
 */
import { describe, expect, it } from 'vitest'
import { ClientAddresses, normaliseProxy } from '../src/connection/client-address.js'
import { normaliseOrigin, OriginPolicy } from '../src/connection/origin-policy.js'

describe('client address', () => {
  const none = new ClientAddresses([])
  const proxies = new ClientAddresses(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8'])

  it('without trusted proxies, X-Forwarded-For is ignored', () => {
    expect(none.resolve('127.0.0.1', '203.0.113.7')).toBe('127.0.0.1')
    expect(none.resolve('::ffff:192.0.2.1', undefined)).toBe('192.0.2.1')
    expect(none.resolve(undefined, undefined)).toBe('unknown')
  })

  it('from a trusted proxy, the right-most entry that is not a trusted proxy', () => {
    expect(proxies.resolve('127.0.0.1', '203.0.113.7')).toBe('203.0.113.7')
    expect(proxies.resolve('::ffff:127.0.0.1', 'spoofed, 203.0.113.7, 10.0.0.2')).toBe('203.0.113.7')
    expect(proxies.resolve('::1', ['198.51.100.1', '2001:db8::5, fd00::1'])).toBe('2001:db8::5')
    expect(proxies.resolve('127.0.0.1', '::ffff:203.0.113.9')).toBe('203.0.113.9')
    // Only trusted hops: the left-most of them is the best there is.
    expect(proxies.resolve('127.0.0.1', '10.0.0.3, 10.0.0.2')).toBe('10.0.0.3')
    // Garbage where the proxy should have written an address: count under the proxy.
    expect(proxies.resolve('127.0.0.1', '203.0.113.7, not-an-ip')).toBe('127.0.0.1')
    expect(proxies.resolve('127.0.0.1', '')).toBe('127.0.0.1')
    expect(proxies.resolve('127.0.0.1', undefined)).toBe('127.0.0.1')
  })

  it('from any other peer, the peer', () => {
    expect(proxies.resolve('192.0.2.1', '203.0.113.7')).toBe('192.0.2.1')
  })

  it('entries are addresses or CIDR ranges', () => {
    expect(normaliseProxy(' 10.0.0.0/8 ')).toEqual({ ok: true, proxy: '10.0.0.0/8' })
    expect(normaliseProxy('::1').ok).toBe(true)
    expect(normaliseProxy('fd00::/129').ok).toBe(false)
    expect(normaliseProxy('proxy.local').ok).toBe(false)
    expect(normaliseProxy('10.0.0.0/x').ok).toBe(false)
  })
})

describe('origin policy', () => {
  it('entries are scheme://host[:port], normalised as browsers send them', () => {
    expect(normaliseOrigin('HTTPS://App.Example.com:443/')).toEqual({ ok: true, origin: 'https://app.example.com' })
    expect(normaliseOrigin('http://localhost:5173')).toEqual({ ok: true, origin: 'http://localhost:5173' })
    expect(normaliseOrigin('*')).toEqual({ ok: true, origin: '*' })
    for (const bad of ['https://a.example/x', 'https://a.example?x=1', 'https://u@a.example', 'ws://a.example', 'a.example', '']) {
      expect(normaliseOrigin(bad).ok, bad).toBe(false)
    }
  })

  it('no Origin, the same host, or a listed origin; open servers trust only literal hosts as their own', () => {
    const open = new OriginPolicy(['https://app.example.com'], true)
    const tokens = new OriginPolicy([], false)
    expect(open.allowsUpgrade(undefined, 'anything')).toBe(true)
    expect(open.allowsUpgrade('https://app.example.com', '127.0.0.1:1234')).toBe(true)
    expect(open.allowsUpgrade('http://127.0.0.1:1234', '127.0.0.1:1234')).toBe(true)
    expect(open.allowsUpgrade('http://[::1]:1234', '[::1]:1234')).toBe(true)
    expect(open.allowsUpgrade('http://localhost:5173', 'LOCALHOST:5173')).toBe(true)
    expect(open.allowsUpgrade('http://rebound.example:1234', 'rebound.example:1234')).toBe(false)
    expect(tokens.allowsUpgrade('https://notes.example.com', 'notes.example.com')).toBe(true)
    expect(tokens.allowsUpgrade('https://notes.example.com', 'notes.example.com:8443')).toBe(false)
    expect(tokens.allowsUpgrade('null', 'notes.example.com')).toBe(false)
    expect(tokens.allowsUpgrade('https://notes.example.com', undefined)).toBe(false)
    expect(open.corsOrigin('https://app.example.com')).toBe('https://app.example.com')
    expect(open.corsOrigin('http://127.0.0.1:1234')).toBeUndefined()
    expect(new OriginPolicy(['*'], true).corsOrigin('null')).toBe('null')
  })
})
