/**
 * The network drops: the server stops, people keep typing (and reloading), the server comes
 * back on the same data, and everything typed meanwhile reaches everyone.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caretToEnd, editorText, openDocument, WAIT, waitForStatus, waitForText } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, type QuireServer, startServer } from './support/server.js'

let server: QuireServer
let browser: Browser
let console_: ConsoleWatch
let a: Page
let b: Page
const doc = 'offline-notes'

async function typeOnLine(page: Page, line: number, text: string): Promise<void> {
  await page.evaluate((n) => {
    const view = window.quire!.view
    view.focus()
    view.dispatch({ selection: { anchor: view.state.doc.line(n).to } })
  }, line)
  await page.keyboard.type(text)
}

// IndexedDB writes are asynchronous; a read transaction on the same store starts only after
// every earlier write to it has committed.
async function waitForCacheWrites(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const db = (window.quire!.document.cache as unknown as { db: IDBDatabase }).db
        const tx = db.transaction(['updates'], 'readonly')
        tx.oncomplete = () => resolve()
        tx.onerror = () => reject(tx.error)
      })
  )
}

beforeAll(async () => {
  server = await startServer(await freshDataDir())
  browser = await launchBrowser()
  console_ = new ConsoleWatch(server.url)
  a = console_.watch(await (await newPerson(browser)).newPage(), 'alice')
  b = console_.watch(await (await newPerson(browser)).newPage(), 'bob')
  await openDocument(a, server.url, doc)
  await openDocument(b, server.url, doc)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('offline and back', () => {
  it('starts in sync', async () => {
    await caretToEnd(a)
    await a.keyboard.type('alice:')
    await a.keyboard.press('Enter')
    await a.keyboard.type('bob:')
    await waitForText(b, 'alice:\nbob:')
    await waitForStatus(a, 'connected', true)
    // The app shell must be cached before the server goes away, or an offline reload has nothing to load.
    await a.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, WAIT)
  })

  it('says offline when the server stops, and typing goes on', async () => {
    console_.outage = true
    await server.stop()
    await waitForStatus(a, 'offline')
    await waitForStatus(b, 'offline')
    // The server said why it closed (1001, shutting down) before it went.
    await a.locator('.banner', { hasText: 'The server is shutting down or restarting. Reconnecting… Keep writing' }).waitFor(WAIT)
    await typeOnLine(a, 1, ' typed offline')
    await typeOnLine(b, 2, ' also offline')
    expect(await editorText(a)).toBe('alice: typed offline\nbob:')
    expect(await editorText(b)).toBe('alice:\nbob: also offline')
    await waitForStatus(a, 'offline', false)
    expect(await a.locator('.status').textContent()).toBe('Offline · not saved yet')
  })

  it('keeps offline edits across a reload while still offline', async () => {
    await waitForCacheWrites(a)
    await a.reload()
    await a.locator('.cm-content').waitFor(WAIT)
    await waitForText(a, 'alice: typed offline\nbob:')
    await waitForStatus(a, 'offline', false)
    await typeOnLine(a, 1, ', reloaded')
  })

  it('delivers every offline edit once the server is back on the same data', async () => {
    server = await startServer(server.dataDir, server.port)
    const expected = 'alice: typed offline, reloaded\nbob: also offline'
    await waitForText(a, expected)
    await waitForText(b, expected)
    await waitForStatus(a, 'connected', true)
    await waitForStatus(b, 'connected', true)
    console_.outage = false
  })

  it('stored what it acknowledged: a newcomer gets the same text', async () => {
    const c = console_.watch(await (await newPerson(browser)).newPage(), 'carol')
    await openDocument(c, server.url, doc)
    await waitForText(c, await editorText(a))
  })

  it('logged no errors beyond the refused connections of the outage', () => {
    expect(console_.errors).toEqual([])
  })
})
