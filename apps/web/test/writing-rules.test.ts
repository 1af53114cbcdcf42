import type { EditorStatus } from '@quire/editor'
import { describe, expect, it } from 'vitest'
import { statsLabel, textStats } from '../src/document-stats.js'
import { collapseDoubledMark } from '../src/list-continuation.js'
import { safeLinkUrl } from '../src/markdown-preview.js'
import { documentTitle, forgetDocument, recentDocuments, rememberDocument } from '../src/recent-documents.js'
import { modeFromStatus } from '../src/server-mode.js'
import { sharingMeans } from '../src/share-panel.js'
import { statusMessage } from '../src/status-view.js'

const status = (change: Partial<EditorStatus>): EditorStatus => ({ connection: 'connected', saved: true, readOnly: false, ...change })

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> {
  const items = new Map<string, string>()
  return { getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) }
}

describe('an unreachable server is not blamed on the network', () => {
  it('says "cannot reach the server" unless the browser knows it is offline', () => {
    expect(statusMessage(status({ connection: 'offline' }), { hasToken: false, online: true })).toMatch(/^Cannot reach the server\. Reconnecting… Keep writing/)
    expect(statusMessage(status({ connection: 'offline' }), { hasToken: false, online: false })).toMatch(/^You are offline\. Keep writing/)
  })

  it('warns against reloading where offline reload is unavailable (plain HTTP)', () => {
    expect(statusMessage(status({ connection: 'offline' }), { hasToken: false, offlineReload: false })).toMatch(/Do not reload this page .* needs HTTPS/)
    expect(statusMessage(status({ connection: 'offline' }), { hasToken: false, offlineReload: true })).not.toMatch(/reload/)
  })
})

describe('recent documents', () => {
  it('keeps a title across visits, and forgets a document on request', () => {
    const storage = memoryStorage()
    rememberDocument('note-abc', 1, storage, '日本語メモ')
    rememberDocument('note-abc', 2, storage)
    rememberDocument('plain', 3, storage)
    expect(documentTitle('note-abc', storage)).toBe('日本語メモ')
    expect(recentDocuments(storage)).toEqual([
      { name: 'plain', openedAt: 3 },
      { name: 'note-abc', openedAt: 2, title: '日本語メモ' }
    ])
    forgetDocument('note-abc', storage)
    expect(recentDocuments(storage).map((d) => d.name)).toEqual(['plain'])
  })
})

describe('server mode', () => {
  it('is open when access is granted without a token, and needs links when a token is required', () => {
    expect(modeFromStatus(status({}), false)).toBe('open')
    expect(modeFromStatus(status({}), true)).toBe('unknown')
    expect(modeFromStatus(status({ connection: 'unauthorized' }), false)).toBe('tokens')
    expect(modeFromStatus(status({ connection: 'offline' }), false)).toBe('unknown')
  })

  it('tells people what sharing means', () => {
    expect(sharingMeans({ hasToken: false, readOnly: false, mode: 'open' })).toMatch(
      /open: anyone with this link.*View-only links need a server that uses access links/
    )
    expect(sharingMeans({ hasToken: true, readOnly: true, mode: 'tokens' })).toMatch(/view link lets whoever opens it read this document, not edit it/)
    expect(sharingMeans({ hasToken: true, readOnly: false, mode: 'tokens' })).toMatch(
      /edit link lets whoever opens it read and edit.*view link only lets them read/
    )
  })
})

describe('list marks', () => {
  it('collapses a mark typed again on a continued item, and nothing else', () => {
    expect(collapseDoubledMark('- -')).toBe('- ')
    expect(collapseDoubledMark('  * *')).toBe('  * ')
    expect(collapseDoubledMark('> - -')).toBe('> - ')
    expect(collapseDoubledMark('2. 2.')).toBe('2. ')
    expect(collapseDoubledMark('2. 3)')).toBe('2. ')
    expect(collapseDoubledMark('- *')).toBeUndefined()
    expect(collapseDoubledMark('- 1.')).toBeUndefined()
    expect(collapseDoubledMark('- a -')).toBeUndefined()
    expect(collapseDoubledMark('-')).toBeUndefined()
  })
})

describe('counts and links', () => {
  it('counts words in any script and characters as people see them', () => {
    expect(textStats('')).toEqual({ words: 0, characters: 0 })
    expect(textStats('Hello, world! 👋🏽')).toEqual({ words: 2, characters: 15 })
    expect(textStats('café crème').words).toBe(2)
    expect(statsLabel({ words: 1, characters: 1234 })).toMatch(/^1 word · 1.234 characters$/)
  })

  it('links only to web, mail and in-page addresses', () => {
    for (const url of ['https://x.org', 'http://x', 'mailto:a@b', '#top']) expect(safeLinkUrl(url), url).toBe(true)
    for (const url of ['javascript:alert(1)', ' JavaScript:x', 'data:text/html,x', 'vbscript:x', 'file:///etc/passwd'])
      expect(safeLinkUrl(url), url).toBe(false)
  })
})
