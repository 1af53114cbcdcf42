/**
 * Stock y-websocket clients against the real server process: seeded random concurrent edits
 * converge, awareness is relayed and cleaned up when a socket dies, documents stay isolated.
 */

import { type Client, connect, rng, type ServerProcess, startServer, waitConverged, waitFor, withSeed } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let server: ServerProcess
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.kill('SIGTERM')
})

function randomEdit(client: Client, random: () => number): void {
  const text = client.text
  if (text.length > 0 && random() < 0.3) {
    const at = Math.floor(random() * text.length)
    text.delete(at, Math.min(1 + Math.floor(random() * 4), text.length - at))
  } else {
    text.insert(Math.floor(random() * (text.length + 1)), 'xyzw'.slice(0, 1 + Math.floor(random() * 4)))
  }
}

describe('convergence through the server', () => {
  it('CV1: five clients making seeded random concurrent edits converge', async () => {
    await withSeed(1125, async (seed) => {
      const random = rng(seed)
      const clients = Array.from({ length: 5 }, () => connect(server.wsUrl, 'converge'))
      await Promise.all(clients.map((client) => client.synced()))
      for (let round = 0; round < 40; round++) {
        for (const client of clients) if (random() < 0.7) randomEdit(client, random)
        // Now and then a client drops off and comes back, editing meanwhile.
        if (round % 10 === 5) {
          const client = clients[Math.floor(random() * clients.length)]!
          client.provider.disconnect()
          randomEdit(client, random)
          client.provider.connect()
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
      await waitConverged(clients)
      const late = connect(server.wsUrl, 'converge')
      await late.synced()
      await waitConverged([...clients, late])
      expect(late.text.length).toBeGreaterThan(0)
      for (const client of [...clients, late]) client.destroy()
    })
  })

  it("F3: relays awareness, and removes a client's state when its socket dies", async () => {
    const a = connect(server.wsUrl, 'presence')
    const b = connect(server.wsUrl, 'presence')
    await Promise.all([a.synced(), b.synced()])
    a.provider.awareness.setLocalStateField('user', { name: 'Ada', color: '#f00' })
    const aId = a.doc.clientID
    await waitFor(() => (b.provider.awareness.getStates().get(aId) as { user?: { name: string } } | undefined)?.user?.name === 'Ada', 'b to see Ada')
    // Kill a's TCP connection without a close frame, as a crashed tab or lost network would.
    const ws = a.provider.ws as unknown as { _socket: { destroy(): void } }
    a.provider.shouldConnect = false
    ws._socket.destroy()
    await waitFor(() => !b.provider.awareness.getStates().has(aId), "the server to remove Ada's state from b")
    a.destroy()
    b.destroy()
  })

  it('CV1: keeps 40 documents isolated from each other', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `iso/doc-${i}`)
    const writers = names.map((name) => connect(server.wsUrl, name))
    const readers = names.map((name) => connect(server.wsUrl, name))
    await Promise.all([...writers, ...readers].map((client) => client.synced()))
    writers.forEach((writer, i) => writer.text.insert(0, `content of ${names[i]}`))
    await waitFor(() => readers.every((reader, i) => reader.text.toString() === `content of ${names[i]}`), 'every reader to get its own document')
    for (const client of [...writers, ...readers]) client.destroy()
  })
})
