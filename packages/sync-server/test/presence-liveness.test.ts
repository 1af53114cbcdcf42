/**
 * PR1: when a person's network vanishes without a close, the others stop seeing them within
 * seconds. The person's client talks to the real server through a proxy that goes silent (no
 * bytes either way, nothing closed), as a dropped Wi-Fi does; the server pings every 5 s.
 */
import { rmSync } from 'node:fs'
import { type ServerProcess, startServer, startTcpProxy, connect as stockClient, type TcpProxy, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

describe('presence of a vanished connection', () => {
  let server: ServerProcess
  let proxy: TcpProxy

  beforeAll(async () => {
    server = await startServer({ args: ['--ping-interval-ms', '5000'] })
    proxy = await startTcpProxy(server.port)
  })
  afterAll(async () => {
    await proxy.close()
    expect(await server.kill('SIGTERM')).toBe(0)
    rmSync(server.dataDir, { recursive: true, force: true })
  })

  it('PR1: is removed for the others within two ping intervals', async () => {
    const leaving = stockClient(`ws://127.0.0.1:${proxy.port}`, 'presence/vanish')
    const staying = stockClient(server.wsUrl, 'presence/vanish')
    try {
      await Promise.all([leaving.synced(), staying.synced()])
      leaving.provider.awareness.setLocalStateField('user', { name: 'Leaving' })
      const id = leaving.doc.clientID
      await waitFor(() => staying.provider.awareness.getStates().has(id), 'the other to see the person')

      proxy.freeze()
      const frozenAt = Date.now()
      await waitFor(() => !staying.provider.awareness.getStates().has(id), 'the person to be gone', 40_000)
      // Two 5 s intervals at most, with room for a loaded machine; clients' own 30 s timeout
      // for silent presence states is not what removed it.
      expect(Date.now() - frozenAt).toBeLessThan(20_000)
    } finally {
      leaving.destroy()
      staying.destroy()
    }
  })
})
