/**
 * The example page, built as the README says, served from its own loopback origin and talking to
 * a real Quire server on another port that lists that origin in --allowed-origins: people type,
 * the server stores it; a read link is read-only before anyone can type; a missing token is
 * reported as refused (which needs the access check's CORS headers), not as offline for ever;
 * name labels stay visible and apart; the editor fills its container.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli, type ServerProcess, startServer, connect as stockClient, waitFor } from '@quire/testkit'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const SECRET = 'embed-example-secret-0123456789'
const DIST = fileURLToPath(new URL('../dist', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const WAIT = { timeout: 30_000 }
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }

/** The built example on a loopback port of its own: a second origin, as an embedding app is. */
async function servePage(): Promise<{ origin: string; server: Server }> {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error(`${DIST} is missing: build the example first (pnpm build)`)
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '')
    const file = join(DIST, path === '/' ? 'index.html' : path)
    if (!file.startsWith(DIST) || !existsSync(file)) return void res.writeHead(404).end()
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { origin: `http://127.0.0.1:${address.port}`, server }
}

async function token(doc: string, access: 'read' | 'write'): Promise<string> {
  const { code, stdout, stderr } = await runCli(['token', '--secret', SECRET, '--doc', doc, '--access', access])
  if (code !== 0) throw new Error(`quire token failed: ${stderr}`)
  return stdout.trim()
}

async function textOnServer(wsUrl: string, name: string, params: Record<string, string> = {}): Promise<string> {
  const client = stockClient(wsUrl, name, { params })
  try {
    await client.synced()
    return client.text.toString()
  } finally {
    client.destroy()
  }
}

let page: { origin: string; server: Server }
let browser: Browser
let open: ServerProcess
let tokens: ServerProcess
const uncaught: string[] = []

beforeAll(async () => {
  page = await servePage()
  // The page's origin is another port than the server's: without the allow-list entry its
  // sockets are refused and its access checks unreadable.
  open = await startServer({ args: ['--allowed-origins', page.origin] })
  tokens = await startServer({ args: ['--allowed-origins', page.origin, '--auth-secret', SECRET] })
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`)
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
})

afterAll(async () => {
  await browser?.close()
  await open?.kill('SIGTERM')
  await tokens?.kill('SIGTERM')
  page?.server.close()
})

/** A new person (own storage) on the example page with `query`. */
async function person(query: Record<string, string>): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 900, height: 600 } })
  const tab = await context.newPage()
  tab.on('pageerror', (error) => uncaught.push(error.stack ?? error.message))
  tab.on('console', (message) => {
    // Two copies of @codemirror/state show up as this error and a blank editor.
    if (message.type() === 'error' && /Unrecognized extension value|multiple instances/.test(message.text())) uncaught.push(message.text())
  })
  await tab.goto(`${page.origin}/?${new URLSearchParams(query)}`)
  await tab.locator('.cm-content').waitFor(WAIT)
  return tab
}

const status = (tab: Page, connection: string) => tab.locator(`#status[data-connection="${connection}"]`).waitFor(WAIT)

describe('the embed example on another origin', () => {
  it('types into a document and the server stores it', async () => {
    const tab = await person({ server: open.wsUrl, doc: 'embed/typed', name: 'Ada' })
    await status(tab, 'connected')
    await tab.locator('.cm-content').click()
    await tab.keyboard.type('Hello from another origin')
    await tab.locator('#status', { hasText: 'Saved' }).waitFor(WAIT)
    await waitFor(async () => (await textOnServer(open.wsUrl, 'embed/typed')) === 'Hello from another origin', 'the text on the server')
    await tab.context().close()
  })

  it('fills its container', async () => {
    const tab = await person({ server: open.wsUrl, doc: 'embed/fill' })
    const [editor, host] = await Promise.all([tab.locator('.cm-editor').boundingBox(), tab.locator('#editor').boundingBox()])
    expect(editor!.height).toBeGreaterThan(400)
    expect(Math.abs(editor!.height - host!.height)).toBeLessThanOrEqual(1)
    await tab.context().close()
  })

  it('a read link: read-only before anything can be typed, nothing typed, never "not saved"', async () => {
    const writer = stockClient(tokens.wsUrl, 'embed/read', { params: { token: await token('embed/read', 'write') } })
    await writer.synced()
    writer.text.insert(0, 'Only to be read')
    const readToken = await token('embed/read', 'read')
    const tab = await person({ server: tokens.wsUrl, doc: 'embed/read', token: readToken })
    // Type at once, before the server has said anything.
    await tab.locator('.cm-content').click()
    await tab.keyboard.type('typed too early')
    expect(await tab.evaluate(() => ({ readOnly: window.editor!.status.readOnly, saved: window.editor!.status.saved }))).toEqual({
      readOnly: true,
      saved: true
    })
    await status(tab, 'connected')
    await tab.waitForFunction(() => window.editor!.view.state.doc.toString() === 'Only to be read', undefined, WAIT)
    await tab.keyboard.type('typed later')
    expect(await tab.evaluate(() => window.editor!.view.state.doc.toString())).toBe('Only to be read')
    expect(await tab.evaluate(() => window.editor!.status)).toMatchObject({ readOnly: true, saved: true })
    expect(writer.text.toString()).toBe('Only to be read')
    writer.destroy()
    await tab.context().close()
  })

  it('a write link edits; no link at all is refused as unauthorized, not offline for ever', async () => {
    const tab = await person({ server: tokens.wsUrl, doc: 'embed/write', token: await token('embed/write', 'write') })
    await status(tab, 'connected')
    await tab.locator('.cm-content').click()
    await tab.keyboard.type('With a write link')
    await tab.locator('#status', { hasText: 'Saved' }).waitFor(WAIT)
    await tab.context().close()

    const refused = await person({ server: tokens.wsUrl, doc: 'embed/write' })
    await status(refused, 'unauthorized')
    await refused.locator('.cm-content').click()
    await refused.keyboard.type('nobody hears this')
    expect(await refused.evaluate(() => window.editor!.view.state.doc.toString())).not.toContain('nobody hears this')
    await refused.context().close()
    expect(await textOnServer(tokens.wsUrl, 'embed/write', { token: await token('embed/write', 'read') })).toBe('With a write link')
  })

  it('shows name labels whole on the first line, and apart when carets are close', async () => {
    const watcher = await person({ server: open.wsUrl, doc: 'embed/labels', name: 'Watcher' })
    await status(watcher, 'connected')
    await watcher.locator('.cm-content').click()
    await watcher.keyboard.type('first line\nsecond line here')
    const others = [await person({ server: open.wsUrl, doc: 'embed/labels', name: 'Grace Hopper' })]
    others.push(await person({ server: open.wsUrl, doc: 'embed/labels', name: 'Ada Lovelace' }))
    // Both carets on line 1, one character apart: the labels would cover each other and, above
    // the first line, be cut off by the editor's edge.
    for (const [index, other] of others.entries()) {
      await other.waitForFunction(() => window.editor!.view.state.doc.length > 20, undefined, WAIT)
      await other.evaluate((at) => {
        window.editor!.view.focus()
        window.editor!.view.dispatch({ selection: { anchor: at } })
      }, 3 + index)
    }
    const labels = watcher.locator('.cm-remoteCaretName')
    await watcher.waitForFunction(() => document.querySelectorAll('.cm-remoteCaretName').length === 2, undefined, WAIT)
    const editor = (await watcher.locator('.cm-editor').boundingBox())!
    const boxes = await Promise.all([labels.nth(0).boundingBox(), labels.nth(1).boundingBox()])
    for (const box of boxes) {
      expect(box!.y).toBeGreaterThanOrEqual(editor.y)
      expect(box!.x).toBeGreaterThanOrEqual(editor.x)
    }
    const [a, b] = boxes as [NonNullable<(typeof boxes)[0]>, NonNullable<(typeof boxes)[0]>]
    const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
    expect(overlap).toBe(false)
    if (process.env.QUIRE_SCREENSHOTS) await watcher.screenshot({ path: join(process.env.QUIRE_SCREENSHOTS, 'embed-labels.png') })

    // The same on a later line, where labels sit above the caret.
    for (const [index, other] of others.entries()) await other.evaluate((at) => window.editor!.view.dispatch({ selection: { anchor: at } }), 14 + index)
    await watcher.waitForFunction(
      () => [...document.querySelectorAll('.cm-remoteCaretName')].every((label) => !label.classList.contains('cm-remoteCaretName-below')),
      undefined,
      WAIT
    )
    const later = await Promise.all([labels.nth(0).boundingBox(), labels.nth(1).boundingBox()])
    const [c, d] = later as [NonNullable<(typeof later)[0]>, NonNullable<(typeof later)[0]>]
    expect(c.x < d.x + d.width && d.x < c.x + c.width && c.y < d.y + d.height && d.y < c.y + c.height).toBe(false)
    for (const tab of [watcher, ...others]) await tab.context().close()
  })

  it('logged no uncaught errors and loaded one copy of CodeMirror', () => {
    expect(uncaught).toEqual([])
  })
})
