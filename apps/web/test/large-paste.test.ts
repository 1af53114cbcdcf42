/**
 * A paste larger than the server accepts in one message (here a 64 KiB limit, `--max-message-bytes`)
 * reaches the server in parts and everyone gets it whole; undo takes it back in one step. A change
 * that cannot be cut into messages under the limit (made on the Y.Doc directly: one value larger
 * than the limit that is not text) stops syncing, and the page offers a way out that loses
 * nothing: download the local copy, start again from the server's. (An oversized update that is
 * text, made past the editor, goes in parts: offline-large.test.ts.)
 */
import { readFile } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caretToEnd, editorText, openDocument, WAIT, waitForStatus, waitForText } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, type QuireServer, startServer } from './support/server.js'

const LIMIT = 65_536
let server: QuireServer
let browser: Browser
let console_: ConsoleWatch
let a: Page
let b: Page
const doc = 'large-paste'
/** The text after the undo. */
let base = ''

// 300 KB of varied text with line breaks and characters of 1 to 4 UTF-8 bytes.
const BIG = Array.from({ length: 9000 }, (_, i) => `Line ${i}: café 日本語 😀 ${'x'.repeat(i % 17)}`).join('\n')

beforeAll(async () => {
  server = await startServer(await freshDataDir(), 0, { flags: ['--max-message-bytes', String(LIMIT)] })
  browser = await launchBrowser()
  console_ = new ConsoleWatch(server.url)
  a = console_.watch(await (await newPerson(browser)).newPage(), 'alice')
  b = console_.watch(await (await newPerson(browser)).newPage(), 'bob')
  await openDocument(a, server.url, doc)
  await openDocument(b, server.url, doc)
  await waitForStatus(a, 'connected', true)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('a paste over the message limit', () => {
  it('reaches the server in parts: everyone gets it whole, and nobody is disconnected', async () => {
    expect(new TextEncoder().encode(BIG).length).toBeGreaterThan(4 * LIMIT)
    await caretToEnd(a)
    await a.keyboard.type('Before. ')
    await waitForText(b, 'Before. ')
    // A paste as CodeMirror receives it from the clipboard.
    await a.evaluate((text) => {
      const view = window.quire!.view
      view.dispatch(view.state.replaceSelection(text), { userEvent: 'input.paste', scrollIntoView: true })
    }, BIG)
    await waitForStatus(a, 'connected', true)
    await b.waitForFunction((length) => window.quire!.view.state.doc.length === length, `Before. ${BIG}`.length, WAIT)
    expect((await editorText(b)) === `Before. ${BIG}`).toBe(true)
    expect(await a.evaluate(() => window.quire!.status.connection)).toBe('connected')
    // A newcomer gets it from the server's storage.
    const c = console_.watch(await (await newPerson(browser)).newPage(), 'carol')
    await openDocument(c, server.url, doc)
    await c.waitForFunction((length) => window.quire!.view.state.doc.length === length, `Before. ${BIG}`.length, WAIT)
    expect((await editorText(c)) === `Before. ${BIG}`).toBe(true)
    await c.context().close()
  })

  it('undo takes the whole paste back in one step', async () => {
    await a.evaluate(() => window.quire!.view.focus())
    await a.keyboard.press('Control+z')
    // Typing that came just before the paste may go in the same step; no part of the paste stays.
    await a.waitForFunction(() => ['', 'Before. '].includes(window.quire!.view.state.doc.toString()), undefined, WAIT)
    base = await editorText(a)
    await waitForText(b, base)
  })

  it('an oversized message stops syncing, and the way out keeps every word', async () => {
    // Past the editor, as a host calling Yjs directly could: one update of 400 KB, whose first
    // struct is a single 200 KB value (not text) that no cutting can bring under the limit.
    const oversized = 'y'.repeat(200_000)
    await a.evaluate((text) => {
      const document = window.quire!.document
      document.doc.transact(() => {
        document.doc.getArray('attachments').push(['z'.repeat(200_000)])
        document.text.insert(0, text)
      })
    }, oversized)
    await waitForStatus(a, 'error')
    await a.locator('.banner', { hasText: 'larger than the server accepts at once' }).waitFor(WAIT)
    const startAgain = a.locator('.recovery button')
    await startAgain.waitFor(WAIT)
    if (process.env.QUIRE_SCREENSHOTS) await a.screenshot({ path: `${process.env.QUIRE_SCREENSHOTS}/large-paste-stopped.png` })
    const [download] = await Promise.all([a.waitForEvent('download'), startAgain.click()])
    const saved = await readFile(await download.path(), 'utf8')
    // Compared by length and ends: a failure should not print 200 KB.
    expect(saved.length).toBe(oversized.length + base.length)
    expect(saved.startsWith(oversized) && saved.endsWith(base)).toBe(true)
    // Started again from the server's copy: connected, and the rejected change is gone.
    await waitForStatus(a, 'connected', true)
    expect(await editorText(a)).toBe(base)
    // Pasted back through the editor, it now goes in parts.
    await a.evaluate((text) => {
      const view = window.quire!.view
      view.dispatch({ changes: { from: 0, insert: text }, userEvent: 'input.paste' })
    }, oversized)
    await b.waitForFunction((length) => window.quire!.view.state.doc.length === length, oversized.length + base.length, WAIT)
    expect((await editorText(b)) === oversized + base).toBe(true)
    await waitForStatus(a, 'connected', true)
  })

  it('logged no errors', () => {
    expect(console_.errors).toEqual([])
  })
})
