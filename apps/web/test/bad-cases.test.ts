/**
 * Things going wrong get a clear message, never a blank page or an endless spinner: bad names,
 * and a server that closes the connection for good. Refused and read-only tokens are tested
 * against the real server in token mode in tokens.test.ts.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openDocument, WAIT, waitForStatus } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, type QuireServer, startServer } from './support/server.js'

let server: QuireServer
let browser: Browser
let console_: ConsoleWatch
let context: BrowserContext
let page: Page

beforeAll(async () => {
  server = await startServer(await freshDataDir())
  browser = await launchBrowser()
  console_ = new ConsoleWatch(server.url)
})

beforeEach(async () => {
  await context?.close()
  context = await newPerson(browser)
  page = console_.watch(await context.newPage(), 'page')
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('bad names', () => {
  it('explains an invalid document name in the address', async () => {
    await page.goto(`${server.url}/d/bad%20name!`)
    await page.getByRole('heading', { name: 'This link has an invalid document name' }).waitFor(WAIT)
    expect(await page.locator('main').textContent()).toContain('may only contain letters, digits')
    expect(await page.locator('.cm-editor').count()).toBe(0)
  })

  it('checks a typed name on the home page before opening it', async () => {
    await page.goto(server.url)
    await page.getByLabel('Open a document by name').fill('our notes?')
    await page.getByRole('button', { name: 'Open' }).click()
    // Refused, with a name that works offered in its place.
    await page.locator('.form-error', { hasText: 'Document names use only' }).waitFor(WAIT)
    expect(await page.locator('.form-error .suggestion code').textContent()).toBe('our-notes')
    expect(page.url()).toBe(`${server.url}/`)
    await page.getByLabel('Open a document by name').fill(' team/weekly ')
    await page.getByRole('button', { name: 'Open' }).click()
    await page.waitForURL(`${server.url}/d/team/weekly`, WAIT)
    await waitForStatus(page, 'connected')
  })

  it('creates a new document with a readable name and lists it as recent', async () => {
    await page.goto(server.url)
    await page.getByRole('link', { name: 'New document' }).click()
    await page.waitForURL(/\/d\/[a-z]+-[a-z]+-[0-9a-z]{11}$/, WAIT)
    const name = new URL(page.url()).pathname.slice(3)
    await waitForStatus(page, 'connected')
    await page.goto(server.url)
    await page.locator('.recent a', { hasText: name }).waitFor(WAIT)
  })
})

describe('a server that closes for good', () => {
  // A change the server refuses (4422) would be refused again on every reconnect, since the sync
  // resends it: the editor must stop and say so, not spin. The frame is sent through the page's
  // own socket, as a buggy or stale client would; the server, its close and the page are real.
  it('stops retrying and explains a refused change (4422)', async () => {
    const sockets: string[] = []
    page.on('websocket', (ws) => sockets.push(ws.url()))
    await openDocument(page, server.url, 'refused-change')
    await waitForStatus(page, 'connected', true)
    await page.evaluate(() => {
      // y-websocket sync update (0, 2) carrying bytes that are not a Yjs update.
      window.quire!.document.provider.ws!.send(new Uint8Array([0, 2, 3, 0xff, 0xff, 0xff]))
    })
    await waitForStatus(page, 'error')
    expect(await page.locator('.status').textContent()).toBe('Sync stopped')
    const status = await page.evaluate(() => window.quire!.status)
    expect(status).toMatchObject({ connection: 'error', closeCode: 4422, readOnly: true })
    expect(await page.locator('.banner').textContent()).toContain(`The server refused a change from this browser (${status.reason})`)
    expect(await page.locator('.banner').getAttribute('data-tone')).toBe('error')
    expect(await page.evaluate(() => window.quire!.document.provider.shouldConnect)).toBe(false)
    const opened = sockets.length
    await page.waitForTimeout(1500)
    expect(sockets.length).toBe(opened)
  })

  it('logged no errors', () => {
    expect(console_.errors).toEqual([])
  })
})
