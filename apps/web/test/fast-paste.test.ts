/**
 * The web app's own editor writing flat out (PROTOCOL.md L2, C2): a burst of 5,000 single-character
 * edits, each its own transaction, and then a 500 kB paste reach a second person in full, with
 * the default server settings and no close.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { editorText, openDocument, WAIT, waitForStatus } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, type QuireServer, startServer } from './support/server.js'

const doc = 'flow/fast-paste'
const PASTE = Array.from({ length: 20_000 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog`)
  .join('\n')
  .slice(0, 500_000)
const BURST = 5_000

let server: QuireServer
let browser: Browser
let watch: ConsoleWatch
let a: Page
let b: Page

beforeAll(async () => {
  server = await startServer(await freshDataDir())
  browser = await launchBrowser()
  watch = new ConsoleWatch(server.url)
  a = watch.watch(await (await newPerson(browser)).newPage(), 'writer')
  b = watch.watch(await (await newPerson(browser)).newPage(), 'reader')
  await openDocument(a, server.url, doc)
  await openDocument(b, server.url, doc)
  await waitForStatus(a, 'connected')
  await waitForStatus(b, 'connected')
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** Close codes the page's provider has seen since `recordCloses`. */
async function recordCloses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { closes: number[] }
    w.closes = []
    window.quire!.document.provider.on('connection-close', (event) => w.closes.push(event?.code ?? -1))
  })
}
const closes = (page: Page) => page.evaluate(() => (window as unknown as { closes: number[] }).closes)

describe('the editor writing flat out, default settings', () => {
  it('L2: 5,000 quick edits and a 500 kB paste reach the other person in full, with no close', async () => {
    await recordCloses(a)
    await recordCloses(b)
    // First a script's worth of edits, one transaction each, as fast as the page can make them.
    await a.evaluate((count) => {
      const view = window.quire!.view
      for (let i = 0; i < count; i++) view.dispatch({ changes: { from: (i * 7919) % (view.state.doc.length + 1), insert: String.fromCharCode(97 + (i % 26)) } })
    }, BURST)
    // Then a real paste through CodeMirror's paste handler.
    await a.evaluate((text) => {
      const view = window.quire!.view
      view.focus()
      const data = new DataTransfer()
      data.setData('text/plain', text)
      view.contentDOM.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
    }, PASTE)
    expect(await a.evaluate(() => window.quire!.view.state.doc.length)).toBe(PASTE.length + BURST)
    const length = PASTE.length + BURST
    await b.waitForFunction((expected) => window.quire?.view.state.doc.length === expected, length, { timeout: 60_000 })
    expect(await editorText(b)).toBe(await editorText(a))
    await waitForStatus(a, 'connected', true)
    expect(await closes(a), 'the writer was never closed').toEqual([])
    expect(await closes(b)).toEqual([])
    expect(watch.errors).toEqual([])
  })

  it('a third person opening the document gets all of it', async () => {
    const c = watch.watch(await (await newPerson(browser)).newPage(), 'late')
    await openDocument(c, server.url, doc)
    await c.waitForFunction((expected) => window.quire?.view.state.doc.length === expected, PASTE.length + BURST, WAIT)
    expect(await editorText(c)).toBe(await editorText(a))
    expect(watch.errors).toEqual([])
  })
})
