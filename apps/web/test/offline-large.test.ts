/**
 * Large changes made offline reach the server (here with a 64 KiB message limit,
 * `--max-message-bytes`). Alice goes offline and pastes three large texts, reloads while still
 * offline (the page comes from the service worker, the text from IndexedDB, and the server's
 * limit is unknown now), pastes a fourth, and comes back online. Everything is sent in the one
 * sync step 2 of reconnecting, far over the limit: the editor sends it in parts, so Bob, the
 * server and a newcomer get every word, and Alice never sees "Sync stopped".
 */
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
const doc = 'offline-large'

/** About 100 KB of text with characters of 1 to 4 UTF-8 bytes, different for each `label`. */
const big = (label: string): string => Array.from({ length: 3000 }, (_, i) => `${label} ${i}: café 日本語 😀 ${'x'.repeat(i % 13)}`).join('\n')
const PASTES = [big('first'), big('second'), big('third')]
const AFTER_RELOAD = big('after reload')

async function paste(page: Page, text: string): Promise<void> {
  await caretToEnd(page)
  await page.evaluate((pasted) => {
    const view = window.quire!.view
    view.dispatch(view.state.replaceSelection(pasted), { userEvent: 'input.paste', scrollIntoView: true })
  }, text)
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

/** Record every connection state the page's editor goes through from now on. */
async function recordConnections(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = []
    ;(window as unknown as { seenConnections: string[] }).seenConnections = seen
    window.quire!.document.on('status', (status) => seen.push(status.connection))
  })
}

const seenConnections = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { seenConnections: string[] }).seenConnections)

beforeAll(async () => {
  server = await startServer(await freshDataDir(), 0, { flags: ['--max-message-bytes', String(LIMIT)] })
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

describe('large changes made offline', () => {
  it('starts in sync, with the app shell cached for an offline reload', async () => {
    await caretToEnd(a)
    await a.keyboard.type('Online. ')
    await waitForText(b, 'Online. ')
    await waitForStatus(a, 'connected', true)
    await a.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, WAIT)
  })

  it('takes three large pastes offline, and one more after an offline reload', async () => {
    console_.outage = true
    await a.context().setOffline(true)
    await waitForStatus(a, 'offline')
    for (const text of PASTES) await paste(a, text)
    expect((await editorText(a)) === `Online. ${PASTES.join('')}`).toBe(true)
    expect(new TextEncoder().encode(PASTES.join('')).length).toBeGreaterThan(4 * LIMIT)

    await waitForCacheWrites(a)
    await a.reload()
    await a.locator('.cm-content').waitFor(WAIT)
    await a.waitForFunction((length) => window.quire?.view.state.doc.length === length, `Online. ${PASTES.join('')}`.length, WAIT)
    await waitForStatus(a, 'offline', false)
    await paste(a, AFTER_RELOAD)
    await recordConnections(a)
  })

  it('delivers all of it once back online, in parts under the limit, without stopping', async () => {
    const expected = `Online. ${PASTES.join('')}${AFTER_RELOAD}`
    await a.context().setOffline(false)
    await b.waitForFunction((length) => window.quire!.view.state.doc.length === length, expected.length, WAIT)
    expect((await editorText(b)) === expected).toBe(true)
    await waitForStatus(a, 'connected', true)
    console_.outage = false
    // "Sync stopped" is what the header says for 'error'.
    expect(await seenConnections(a)).not.toContain('error')
    // The server stored it: a newcomer gets it from there.
    const c = console_.watch(await (await newPerson(browser)).newPage(), 'carol')
    await openDocument(c, server.url, doc)
    await c.waitForFunction((length) => window.quire!.view.state.doc.length === length, expected.length, WAIT)
    expect((await editorText(c)) === expected).toBe(true)
    await c.context().close()
  })

  it('logged no errors beyond the failed requests of the outage', () => {
    expect(console_.errors).toEqual([])
  })
})
