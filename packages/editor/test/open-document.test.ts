/**
 * An open document against the real server process (`quire serve` on a loopback port with a
 * LevelDB folder), driven in Node with the `ws` package as its WebSocket: it syncs, tracks saved
 * through the server's acknowledgements (F8), survives a server restart, stops on a final close
 * (C1) and follows read-only access.
 */

import { runCli, type ServerProcess, startServer, startTcpProxy, connect as stockClient, tempDataDir, waitFor } from '@quire/testkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { type OpenDocument, type OpenDocumentOptions, openDocument } from '../src/open-document.js'
import type { EditorStatus } from '../src/status.js'

const SECRET = 'editor-test-secret-0123456789'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function server(options: Parameters<typeof startServer>[0] = {}): Promise<ServerProcess> {
  const started = await startServer(options)
  cleanups.push(() => (started.proc.exitCode === null && started.proc.signalCode === null ? started.kill('SIGTERM') : undefined))
  return started
}

/** Open `name` on `wsUrl` the way a Node host would; every status it goes through is recorded. */
function open(wsUrl: string, name: string, options: Partial<OpenDocumentOptions> = {}): { document: OpenDocument; seen: EditorStatus[] } {
  const document = openDocument({
    serverUrl: wsUrl,
    document: name,
    offlineCache: false,
    WebSocketPolyfill: NodeWebSocket as unknown as typeof WebSocket,
    ...options
  })
  const seen: EditorStatus[] = [document.status]
  document.on('status', (status) => seen.push(status))
  cleanups.push(() => document.destroy())
  return { document, seen }
}

/** The text of `name` as a fresh stock client gets it from the server. */
async function textOnServer(wsUrl: string, name: string): Promise<string> {
  const client = stockClient(wsUrl, name)
  try {
    await client.synced()
    return client.text.toString()
  } finally {
    client.destroy()
  }
}

async function token(grant: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCli(['token', '--secret', SECRET, ...grant])
  if (code !== 0) throw new Error(`quire token failed: ${stderr}`)
  return stdout.trim()
}

const connected = (document: OpenDocument) => () => document.status.connection === 'connected'

describe('an open document against the real server', () => {
  it('F8: syncs, and is saved only once the server acknowledged the change', async () => {
    const { wsUrl } = await server()
    const errors = vi.spyOn(console, 'error')
    const { document, seen } = open(wsUrl, 'notes/acks')
    await waitFor(connected(document), 'the document to connect')
    await waitFor(() => document.status.saved, 'nothing to save')

    document.text.insert(0, 'hello')
    // Sent, not yet acknowledged: the acknowledgement comes back over the loopback later.
    expect(document.status.saved).toBe(false)
    await waitFor(() => document.status.saved, 'the acknowledgement')
    expect(await textOnServer(wsUrl, 'notes/acks')).toBe('hello')
    // Acknowledgements are the editor's: the provider never saw one ("Unable to compute message").
    expect(errors).not.toHaveBeenCalled()
    // ...because the socket took it: the provider's message handlers are its own, untouched.
    expect(Object.keys(document.provider.messageHandlers)).toEqual(['0', '1', '2', '3'])
    expect(seen.map((status) => status.connection)).toEqual(expect.arrayContaining(['connecting', 'connected']))
    errors.mockRestore()
  })

  it('without acknowledgements (a stock server), counts a change as saved once it is sent', async () => {
    const { wsUrl } = await server()
    const { document } = open(wsUrl, 'notes/no-acks', { acknowledgements: false })
    await waitFor(connected(document), 'the document to connect')
    document.text.insert(0, 'sent')
    // Decided once the provider's synchronous send is done, not before.
    expect(document.status.saved).toBe(false)
    await Promise.resolve()
    expect(document.status.saved).toBe(true)
    expect(await textOnServer(wsUrl, 'notes/no-acks')).toBe('sent')
  })

  it('relays changes both ways with a stock y-websocket client', async () => {
    const { wsUrl } = await server()
    const { document } = open(wsUrl, 'notes/relay')
    const stock = stockClient(wsUrl, 'notes/relay')
    cleanups.push(() => stock.destroy())
    await stock.synced()
    stock.text.insert(0, 'from stock ')
    await waitFor(() => document.text.toString() === 'from stock ', 'the stock change to arrive')
    document.text.insert(document.text.length, 'and from the editor')
    await waitFor(() => stock.text.toString() === 'from stock and from the editor', 'the editor change to arrive')
    await waitFor(() => document.status.saved, 'the acknowledgement')
  })

  it('keeps edits made while the server is down, and saves them once it is back on the same port', async () => {
    const dataDir = tempDataDir()
    const first = await server({ dataDir })
    const { document, seen } = open(first.wsUrl, 'notes/restart', { backoff: { base: 50, cap: 400 } })
    await waitFor(connected(document), 'the document to connect')
    document.text.insert(0, 'before ')
    await waitFor(() => document.status.saved, 'the first save')

    expect(await first.kill('SIGTERM')).toBe(0)
    await waitFor(() => document.status.connection === 'offline', 'the document to go offline')
    document.text.insert(document.text.length, 'during')
    await waitFor(() => !document.status.saved, 'the offline edit to count as unsaved')

    const second = await server({ dataDir, port: first.port })
    await waitFor(connected(document), 'the document to reconnect')
    await waitFor(() => document.status.saved, 'the offline edit to be acknowledged')
    expect(await textOnServer(second.wsUrl, 'notes/restart')).toBe('before during')
    // C1: the shutdown's 1001 is temporary, so the editor retried and said why meanwhile.
    expect(seen.some((status) => status.connection === 'offline' && status.closeCode === 1001)).toBe(true)
    // Offline through the retries, never back to "connecting" (no flicker).
    const afterOffline = seen.slice(seen.findIndex((status) => status.connection === 'offline'))
    expect(afterOffline.map((status) => status.connection)).not.toContain('connecting')
  })

  it('C1: stops for good, unauthorized, when the token expires mid-connection (4401)', async () => {
    const { wsUrl } = await server({ args: ['--auth-secret', SECRET] })
    const { document } = open(wsUrl, 'notes/expiring', { token: await token(['--doc', 'notes/expiring', '--access', 'write', '--expires', '4s']) })
    await waitFor(connected(document), 'the document to connect')
    await waitFor(() => document.status.connection === 'unauthorized', 'the expiry')
    expect(document.status).toMatchObject({ connection: 'unauthorized', closeCode: 4401, readOnly: true })
    // No retry is planned and the provider is told to stay away.
    expect(document.provider.shouldConnect).toBe(false)
    expect(document.provider.ws).toBe(null)
  })

  it('stops, forbidden, when the upgrade is refused and the access endpoint says why', async () => {
    const { wsUrl } = await server({ args: ['--auth-secret', SECRET] })
    const { document } = open(wsUrl, 'notes/other', { token: await token(['--doc', 'notes/mine', '--access', 'write']) })
    // A token for another document: the upgrade is refused, the access check says why.
    await waitFor(() => document.status.connection === 'forbidden', 'the refusal')
    expect(document.status.reason).toBeTruthy()
    expect(document.provider.shouldConnect).toBe(false)
  })

  it("is read-only with a read token, and takes the server's word when it refuses a change", async () => {
    const { wsUrl } = await server({ args: ['--auth-secret', SECRET] })
    const writer = stockClient(wsUrl, 'notes/read', { params: { token: await token(['--doc', 'notes/read', '--access', 'write']) } })
    cleanups.push(() => writer.destroy())
    await writer.synced()
    writer.text.insert(0, 'written')
    const { document } = open(wsUrl, 'notes/read', { token: await token(['--doc', 'notes/read', '--access', 'read']) })
    await waitFor(() => document.status.readOnly, 'the access check')
    expect(document.status.readOnlyReason).toBe('The access token only allows reading.')
    await waitFor(() => document.text.toString() === 'written', 'the text to arrive')
    await waitFor(connected(document), 'the document to connect')

    // Only a host calling Yjs directly can change a read-only document; the server refuses it.
    document.text.insert(0, 'forged ')
    await waitFor(() => document.status.readOnlyReason === 'read-only access: changes are not accepted', 'the permission-denied')
    expect(writer.text.toString()).toBe('written')
    expect(document.status.connection).toBe('connected')
  })

  it('is read-only before anything is sent when the token claims only reading', async () => {
    const { wsUrl } = await server({ args: ['--auth-secret', SECRET] })
    const { document, seen } = open(wsUrl, 'notes/claimed', { token: await token(['--doc', 'notes/claimed', '--access', 'read']) })
    // From the very first status: nobody can type before the server has answered anything.
    expect(seen[0]).toMatchObject({ readOnly: true, readOnlyReason: 'The access token only allows reading.' })
    await waitFor(connected(document), 'the document to connect')
    expect(seen.every((status) => status.readOnly)).toBe(true)
  })

  it('without a token, waits read-only for the server: writable once an open server syncs', async () => {
    const { wsUrl } = await server()
    const { document, seen } = open(wsUrl, 'notes/open')
    expect(seen[0]).toMatchObject({ readOnly: true, awaitingAccess: true })
    await waitFor(connected(document), 'the document to connect')
    await waitFor(() => !document.status.readOnly, 'writing to be allowed')
    expect(document.status.awaitingAccess).toBeUndefined()
  })

  it('without a token, on a server that needs one: never writable, unauthorized', async () => {
    const { wsUrl } = await server({ args: ['--auth-secret', SECRET] })
    const { document, seen } = open(wsUrl, 'notes/closed')
    await waitFor(() => document.status.connection === 'unauthorized', 'the refusal')
    expect(seen.every((status) => status.readOnly)).toBe(true)
  })

  it('without a token and no server to ask, becomes writable so typing goes on offline', async () => {
    const { wsUrl, kill } = await server()
    await kill('SIGTERM')
    const { document } = open(wsUrl, 'notes/offline')
    await waitFor(() => document.status.connection === 'offline', 'offline')
    await waitFor(() => !document.status.readOnly, 'writing to be allowed offline')
  })

  it('notices a silent network drop within seconds, keeps typing, and saves it all once the network is back', async () => {
    const { wsUrl, port } = await server()
    const proxy = await startTcpProxy(port)
    cleanups.push(() => proxy.close())
    const { document } = open(`ws://127.0.0.1:${proxy.port}`, 'notes/silent')
    await waitFor(connected(document), 'the document to connect')
    document.text.insert(0, 'before the drop.')
    await waitFor(() => document.status.saved, 'the first change to be saved')

    // The network goes silent: no close, no error, nothing.
    proxy.freeze()
    const frozenAt = Date.now()
    await waitFor(() => document.status.connection === 'offline', 'offline', 40_000)
    // 5 s of silence, 10 s for an answer, checked every second; the provider alone takes 30 s.
    expect(Date.now() - frozenAt).toBeLessThan(25_000)
    document.text.insert(document.text.length, ' During.')
    expect(document.status.saved).toBe(false)

    proxy.thaw()
    await waitFor(() => connected(document)() && document.status.saved, 'to reconnect and save', 60_000)
    expect(await textOnServer(wsUrl, 'notes/silent')).toBe('before the drop. During.')
  })

  it('learns how the server is run, and makes view and edit links from a write token', async () => {
    const { wsUrl } = await server({ args: ['--auth-secret', SECRET, '--max-message-bytes', '65536'] })
    const { document } = open(wsUrl, 'notes/shared', { token: await token(['--doc', 'notes/shared', '--access', 'write']) })
    expect(await document.serverInfo()).toEqual({ access: 'tokens', maxMessageBytes: 65536 })
    expect(document.maxMessageBytes).toBe(65536)
    const view = await document.share('read')
    expect(view).toMatchObject({ document: 'notes/shared', access: 'read' })
    const { document: viewer, seen } = open(wsUrl, 'notes/shared', { token: view.token })
    await waitFor(connected(viewer), 'the view link to connect')
    expect(seen.every((status) => status.readOnly)).toBe(true)
    const edit = await document.share('write', 600)
    expect(edit.expiresAt - Date.now() / 1000).toBeLessThanOrEqual(600)
    // A view link cannot make an edit link.
    await expect(viewer.share('write')).rejects.toThrow(/reading only/)
  })

  it('on an open server: says it is open, and explains that there are no links to make', async () => {
    const { wsUrl } = await server()
    const { document } = open(wsUrl, 'notes/open-share')
    expect(await document.serverInfo()).toEqual({ access: 'open', maxMessageBytes: 16 * 1024 * 1024 })
    await expect(document.share('read')).rejects.toThrow(/open/)
  })
})
