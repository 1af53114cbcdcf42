/**
 * What was seen survives: restarts, `kill -9` right after a burst, and a client that connects
 * while its document is still loading.
 */

import { connect, passThrough, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { createServer } from '../src/server.js'
import { LevelStore } from '../src/storage/leveldb.js'
import type { DocumentStore } from '../src/storage/store.js'

describe('durability', () => {
  it('OP1: keeps content across a clean restart', async () => {
    const first = await startServer()
    const writer = connect(first.wsUrl, 'restart')
    await writer.synced()
    writer.text.insert(0, 'survives a restart')
    const reader = connect(first.wsUrl, 'restart')
    await waitFor(() => reader.text.toString() === 'survives a restart', 'the reader to see the text')
    writer.destroy()
    reader.destroy()
    expect(await first.kill('SIGTERM')).toBe(0)
    const second = await startServer({ dataDir: first.dataDir })
    const fresh = connect(second.wsUrl, 'restart')
    await fresh.synced()
    expect(fresh.text.toString()).toBe('survives a restart')
    fresh.destroy()
    await second.kill('SIGTERM')
  })

  it('DV1: after kill -9, keeps every update another client had received', async () => {
    const server = await startServer()
    const writer = connect(server.wsUrl, 'burst')
    const reader = connect(server.wsUrl, 'burst')
    await Promise.all([writer.synced(), reader.synced()])
    for (let i = 0; i < 500; i++) writer.text.insert(writer.text.length, `${i},`)
    await waitFor(() => reader.text.length > 200, 'the reader to see part of the burst')
    // Kill while the burst is still flowing; whatever the reader has seen must survive.
    server.proc.kill('SIGKILL')
    await server.exited
    const seen = reader.text.toString()
    writer.provider.shouldConnect = false
    reader.provider.shouldConnect = false
    writer.destroy()
    reader.destroy()
    const restarted = await startServer({ dataDir: server.dataDir })
    const fresh = connect(restarted.wsUrl, 'burst')
    await fresh.synced()
    const stored = fresh.text.toString()
    for (const item of seen.split(',').filter(Boolean)) expect(stored).toContain(`${item},`)
    fresh.destroy()
    await restarted.kill('SIGTERM')
  })

  it('LS1: never shows an empty document to a client that connects during a slow load', async () => {
    const dataDir = tempDataDir()
    const seed = await startServer({ dataDir })
    const writer = connect(seed.wsUrl, 'slow')
    await writer.synced()
    writer.text.insert(0, 'loaded before sync')
    writer.destroy()
    await seed.kill('SIGTERM')

    const level = await LevelStore.open(dataDir, { sync: false })
    let releaseLoad!: () => void
    const loadGate = new Promise<void>((resolve) => (releaseLoad = resolve))
    let loadsStarted = 0
    const slow: DocumentStore = passThrough(level, {
      read: async (name: string) => {
        loadsStarted++
        await loadGate
        return level.read(name)
      }
    })
    const server = createServer({ port: 0, store: slow, logger: pino({ level: 'silent' }) })
    const { port } = await server.listen()
    const client = connect(`ws://127.0.0.1:${port}`, 'slow')
    const textSeen: string[] = []
    client.text.observe(() => textSeen.push(client.text.toString()))
    await waitFor(() => loadsStarted === 1, 'the load to start')
    await waitFor(() => client.provider.wsconnected, 'the socket to open')
    expect(client.provider.synced).toBe(false)
    releaseLoad()
    await client.synced()
    expect(client.text.toString()).toBe('loaded before sync')
    expect(textSeen.every((text) => text === 'loaded before sync')).toBe(true)
    client.destroy()
    await server.close()
  })
})
