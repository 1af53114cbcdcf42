/**
 * Old clients with a token that will never work (stranded-clients issue). y-websocket 1.x and
 * 2.x reconnect after every refusal, whatever it says, so a tab left open with an expired link,
 * or with a token signed before the secret was rotated, retries forever. Against the real server
 * process, with the stock 2.x client retrying every 100 ms: each retry gets the same 401, the
 * same token counts at most once toward its address's failure limit, and a valid token from the
 * same address (an office behind one NAT) still connects and syncs with a 3.x client.
 */
import { rmSync } from 'node:fs'
import { connect, readMetric, type ServerProcess, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WebsocketProvider as WebsocketProviderV2 } from 'y-websocket-v2'
import * as Y from 'yjs'
import { signToken } from '../src/auth/token.js'

const SECRET = 'stuck-test-secret-0123456789abcd'
const ROTATED_AWAY = 'the-secret-before-rotation-01234'

describe('a stuck 2.x client (--max-auth-failures 2 --auth-block-ms 600000)', () => {
  let server: ServerProcess
  let dataDir: string

  beforeAll(async () => {
    dataDir = tempDataDir()
    server = await startServer({ dataDir, args: ['--auth-secret', SECRET, '--max-auth-failures', '2', '--auth-block-ms', '600000'] })
  })
  afterAll(async () => {
    if (server) expect(await server.kill('SIGTERM')).toBe(0)
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('retrying an expired or rotated-away token forever locks out nobody else behind the same address', async () => {
    const stuck = [
      await signToken(SECRET, { doc: 'office', access: 'write', expiresInSeconds: -60, user: 'expired link' }),
      await signToken(ROTATED_AWAY, { doc: 'office', access: 'write', expiresInSeconds: 3600, user: 'old secret' })
    ].map((token) => {
      const doc = new Y.Doc()
      const provider = new WebsocketProviderV2(`${server.wsUrl}`, 'office', doc, {
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        disableBc: true,
        params: { token },
        maxBackoffTime: 100
      })
      return { doc, provider }
    })
    const refusals = async (reason: string) => (await readMetric(server.httpUrl, `quire_rejected_connections_total{reason="${reason}"}`)) ?? 0
    // Many more retries than the failure limit.
    await waitFor(async () => (await refusals('token_expired')) >= 10 && (await refusals('token_bad_signature')) >= 10, 'both stuck clients to retry 10 times')
    expect(stuck.every(({ provider }) => !provider.wsconnected)).toBe(true)

    // Colleagues from the same address (127.0.0.1), with valid tokens, get in and sync.
    const valid = await signToken(SECRET, { doc: 'office', access: 'write', expiresInSeconds: 3600, user: 'colleague' })
    const writer = connect(server.wsUrl, 'office', { params: { token: valid } })
    const reader = connect(server.wsUrl, 'office', { params: { token: valid } })
    await Promise.all([writer.synced(), reader.synced()])
    writer.text.insert(0, 'still working')
    await waitFor(() => reader.text.toString() === 'still working', 'the colleague to see the edit')

    // What the stuck clients see, should they ask (the web app does): why they are refused.
    const why = await fetch(`${server.httpUrl}/api/access/office?token=${stuck[0]!.provider.params.token}`)
    expect(why.status).toBe(401)
    expect(((await why.json()) as { error: string }).error).toMatch(/expired/)
    expect(stuck.every(({ doc }) => doc.getText('codemirror').toString() === '')).toBe(true)

    for (const { provider, doc } of stuck) {
      provider.destroy()
      doc.destroy()
    }
    writer.destroy()
    reader.destroy()
  })
})
