/**
 * A real editing history through the server: one writer replays automerge-paper (260k edits)
 * keystroke by keystroke while two readers follow; all end at endContent, and so does a fresh
 * client after a restart. Without ../shared/traces a seeded synthetic trace is used instead.
 */

import { connect, loadTrace, startServer, textAfter, waitFor } from '@quire/testkit'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { LevelStore } from '../src/storage/leveldb.js'

describe('trace replay', () => {
  it('CV1: automerge-paper: writer, two readers and a client after restart all end at endContent', async () => {
    const trace = loadTrace('automerge-paper')
    expect(textAfter(trace)).toBe(trace.endContent)
    // The writer replays as fast as it can, far past a typist's rate: no rate limit here.
    const server = await startServer({ args: ['--rate-limit', '0'] })
    const writer = connect(server.wsUrl, 'trace')
    const readers = [connect(server.wsUrl, 'trace'), connect(server.wsUrl, 'trace')]
    await Promise.all([writer, ...readers].map((client) => client.synced()))
    const started = performance.now()
    const text = writer.text
    if (trace.startContent) text.insert(0, trace.startContent)
    // Yield to the event loop now and then so the socket drains as a live editor's would.
    for (let i = 0; i < trace.txns.length; i++) {
      writer.doc.transact(() => {
        for (const [pos, del, ins] of trace.txns[i]!.patches) {
          if (del > 0) text.delete(pos, del)
          if (ins) text.insert(pos, ins)
        }
      })
      if (i % 2000 === 1999) await new Promise((resolve) => setImmediate(resolve))
    }
    expect(text.toString()).toBe(trace.endContent)
    await waitFor(() => readers.every((reader) => reader.text.toString() === trace.endContent), 'both readers to reach endContent', 240_000)
    const seconds = (performance.now() - started) / 1000
    console.log(`[trace] ${trace.name}: ${trace.txns.length} edits replayed through the server to 2 readers in ${seconds.toFixed(1)} s`)
    for (const client of [writer, ...readers]) client.destroy()
    expect(await server.kill('SIGTERM')).toBe(0)

    const restarted = await startServer({ dataDir: server.dataDir })
    const fresh = connect(restarted.wsUrl, 'trace')
    await fresh.synced()
    expect(fresh.text.toString()).toBe(trace.endContent)
    const encoded = Y.encodeStateAsUpdate(fresh.doc).length
    fresh.destroy()
    expect(await restarted.kill('SIGTERM')).toBe(0)

    // Shut down cleanly, the document is one snapshot: about the size of the Yjs encoding itself.
    const store = await LevelStore.open(server.dataDir, { sync: false })
    const stored = await store.size('trace')
    await store.close()
    console.log(`[trace] stored ${stored} bytes after compaction; Y.encodeStateAsUpdate is ${encoded} bytes (${(stored / encoded).toFixed(3)}x)`)
    expect(stored).toBeLessThan(encoded * 1.1)
  })
})
