/**
 * Idle documents leave memory: after the last client goes and the grace period passes, the
 * server's documents-loaded gauge drops, and the document loads again, intact, on return.
 * Documents nobody changes go dormant even with clients connected, and wake on the next change.
 */

import { connect, readMetric, startServer, waitFor } from '@quire/testkit'
import { describe, expect, it } from 'vitest'

describe('unloading', () => {
  it('DM3/LS3: unloads a document after its last client leaves, and reloads it intact', async () => {
    const server = await startServer({ args: ['--unload-grace-ms', '200'] })
    const loaded = () => readMetric(server.httpUrl, 'quire_documents_loaded')
    expect(await loaded()).toBe(0)
    const a = connect(server.wsUrl, 'idle-doc')
    const b = connect(server.wsUrl, 'other-doc')
    await Promise.all([a.synced(), b.synced()])
    a.text.insert(0, 'still here')
    expect(await loaded()).toBe(2)
    await waitFor(async () => (await readMetric(server.httpUrl, 'quire_updates_persisted_total')) === 1, 'the edit to be stored')
    a.destroy()
    await waitFor(async () => (await loaded()) === 1, 'idle-doc to be unloaded')
    // The other document, still in use, stays.
    expect(await loaded()).toBe(1)
    expect(await readMetric(server.httpUrl, 'quire_compactions_total')).toBe(1)
    const again = connect(server.wsUrl, 'idle-doc')
    await again.synced()
    expect(again.text.toString()).toBe('still here')
    expect(await loaded()).toBe(2)
    again.destroy()
    b.destroy()
    await waitFor(async () => (await loaded()) === 0, 'both documents to be unloaded')
    await server.kill('SIGTERM')
  })

  it('DM1: a document unchanged for --release-after-ms goes dormant with its clients connected, serves a newcomer, and wakes on the next change', async () => {
    const server = await startServer({ args: ['--release-after-ms', '200'] })
    const dormant = () => readMetric(server.httpUrl, 'quire_documents_dormant')
    const writer = connect(server.wsUrl, 'quiet-doc')
    await writer.synced()
    writer.text.insert(0, 'typed, then quiet')
    await waitFor(async () => (await readMetric(server.httpUrl, 'quire_updates_persisted_total')) === 1, 'the edit to be stored')
    await waitFor(async () => (await dormant()) === 1, 'the document to go dormant')
    const newcomer = connect(server.wsUrl, 'quiet-doc')
    await newcomer.synced()
    expect(newcomer.text.toString()).toBe('typed, then quiet')
    expect(await dormant()).toBe(1)
    writer.text.insert(writer.text.length, '; awake again')
    await waitFor(() => newcomer.text.toString() === 'typed, then quiet; awake again', 'the newcomer to see the change')
    expect(await dormant()).toBe(0)
    await waitFor(async () => (await dormant()) === 1, 'the document to go dormant again')
    writer.destroy()
    newcomer.destroy()
    expect(await server.kill('SIGTERM')).toBe(0)
    const again = await startServer({ dataDir: server.dataDir })
    const fresh = connect(again.wsUrl, 'quiet-doc')
    await fresh.synced()
    expect(fresh.text.toString()).toBe('typed, then quiet; awake again')
    fresh.destroy()
    await again.kill('SIGTERM')
  })
})
