/**
 * History for embedders against the real server process with history: the client lists, opens,
 * diffs, names and restores versions with a Bearer token; a read token reads but cannot name or
 * restore; an open document hears of new versions and restores through the `history` extension.
 */

import type { HistoryEvent } from '@quire/protocol'
import { runCli, type ServerProcess, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import * as Y from 'yjs'
import { HistoryError, history, LIVE } from '../src/history-client.js'
import { type OpenDocument, openDocument } from '../src/open-document.js'

const SECRET = 'editor-history-secret-0123456789'
/** Versions are cut after this much quiet. */
const QUIET_MS = '200'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function server(): Promise<ServerProcess> {
  const started = await startServer({ dataDir: tempDataDir(), args: ['--auth-secret', SECRET, '--history-idle-ms', QUIET_MS] })
  cleanups.push(() => (started.proc.exitCode === null && started.proc.signalCode === null ? started.kill('SIGTERM') : undefined))
  return started
}

async function token(name: string, access: 'read' | 'write', user?: string): Promise<string> {
  const { code, stdout, stderr } = await runCli([
    'token',
    '--secret',
    SECRET,
    '--doc',
    name,
    '--access',
    access,
    ...(user === undefined ? [] : ['--user', user])
  ])
  if (code !== 0) throw new Error(`quire token failed: ${stderr}`)
  return stdout.trim()
}

function open(wsUrl: string, name: string, token: string): { document: OpenDocument; events: HistoryEvent[] } {
  const document = openDocument({
    serverUrl: wsUrl,
    document: name,
    token,
    offlineCache: false,
    WebSocketPolyfill: NodeWebSocket as unknown as typeof WebSocket
  })
  const events: HistoryEvent[] = []
  document.on('history', (event) => events.push(event))
  cleanups.push(() => document.destroy())
  return { document, events }
}

describe('history for embedders', () => {
  it('lists, opens, diffs, names and restores versions; the open document hears of each version and restore', async () => {
    const { wsUrl, httpUrl } = await server()
    const name = 'notes/history'
    const { document, events } = open(wsUrl, name, await token(name, 'write', 'Ada'))
    await waitFor(() => document.status.connection === 'connected', 'connected')
    const notes = document.history()

    document.text.insert(0, 'Ship on Monday.')
    await waitFor(() => events.some((event) => event.event === 'version'), 'a version event')
    const [first] = await notes.versions()
    expect(first).toMatchObject({ kind: expect.any(String), authors: [{ name: 'Ada', verified: true }] })
    expect(events.at(-1)!.version.id).toBe(first!.id)

    document.text.insert(document.text.length, ' Ada reviews.')
    await waitFor(() => events.filter((event) => event.event === 'version').length >= 2, 'a second version event')
    const second = events.at(-1)!.version
    expect(await notes.text(first!.id)).toBe('Ship on Monday.')
    expect(await notes.text(second.id)).toBe('Ship on Monday. Ada reviews.')
    const state = new Y.Doc()
    Y.applyUpdate(state, await notes.update(first!.id))
    expect(state.getText('codemirror').toString()).toBe('Ship on Monday.')
    expect(await notes.diff(second.id)).toEqual([
      { kind: 'equal', text: 'Ship on Monday.' },
      { kind: 'insert', text: ' Ada reviews.' }
    ])
    expect((await notes.diff(LIVE, first!.id)).filter((change) => change.kind !== 'equal')).toEqual([{ kind: 'insert', text: ' Ada reviews.' }])
    const spans = await notes.authorship(second.id)
    // Each stretch as it was written (the two edits), both by the token's user.
    expect(spans.map((span) => [span.from, span.to, span.author.name, span.author.verified])).toEqual([
      [0, 'Ship on Monday.'.length, 'Ada', true],
      ['Ship on Monday.'.length, 'Ship on Monday. Ada reviews.'.length, 'Ada', true]
    ])
    expect(spans[0]!.time).toBeLessThanOrEqual(spans[1]!.time)

    expect((await notes.name(first!.id, 'Sent to the editor')).label).toBe('Sent to the editor')
    expect((await notes.versions({ named: true })).map((version) => version.id)).toEqual([first!.id])

    const { restored, before } = await notes.restore(first!.id)
    expect(restored.kind).toBe('restore')
    await waitFor(() => document.text.toString() === 'Ship on Monday.', 'the restored text')
    await waitFor(() => events.some((event) => event.event === 'restore'), 'a restore event')
    await notes.restore(before.id)
    await waitFor(() => document.text.toString() === 'Ship on Monday. Ada reviews.', 'the restore undone')

    // A read token reads, and is refused naming and restoring with the server's reason.
    const reader = history(httpUrl, name, { token: await token(name, 'read') })
    expect(await reader.text(first!.id)).toBe('Ship on Monday.')
    for (const attempt of [() => reader.restore(first!.id), () => reader.name(first!.id, 'x')]) {
      const error = await attempt().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(HistoryError)
      expect((error as HistoryError).status).toBe(403)
      expect((error as HistoryError).message).not.toBe('')
    }
    // Nothing the reader tried changed anything.
    expect((await notes.versions({ named: true })).map((version) => version.label)).toEqual(['Sent to the editor'])
    expect(document.text.toString()).toBe('Ship on Monday. Ada reviews.')
  })

  it("passes on the server's reason for an unknown or malformed version", async () => {
    const { httpUrl } = await server()
    const name = 'notes/none'
    const notes = history(httpUrl, name, { token: await token(name, 'write') })
    for (const [id, status] of [
      ['999999', 404],
      ['no-such-version', 400]
    ] as const) {
      const error = await notes.text(id).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(HistoryError)
      expect((error as HistoryError).status).toBe(status)
      expect((error as HistoryError).message).toMatch(/version/)
    }
  })
})
