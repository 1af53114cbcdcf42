/**
 * Things going wrong get a clear message, never a blank page or an endless spinner: bad names,
 * refused or read-only tokens. The server's token checks (issue 4) are stood in for by routing
 * its answers in the browser; the editor's side of the contract is what is under test.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { WAIT, openDocument, waitForStatus, waitForText } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, startServer, type QuireServer } from './support/server.js'

let server: QuireServer
let browser: Browser
let console_: ConsoleWatch
let context: BrowserContext
let page: Page

function routeAccess(target: Page, status: number, body: unknown): string[] {
  const seen: string[] = []
  void target.route('**/api/access/**', route => {
    seen.push(route.request().url())
    return route.fulfill({ status, json: body })
  })
  return seen
}

async function editable(target: Page): Promise<string | null> {
  return target.locator('.cm-content').getAttribute('contenteditable')
}

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
    await page.locator('.form-error', { hasText: "That name won't work" }).waitFor(WAIT)
    await page.getByLabel('Open a document by name').fill(' team/weekly ')
    await page.getByRole('button', { name: 'Open' }).click()
    await page.waitForURL(`${server.url}/d/team/weekly`, WAIT)
    await waitForStatus(page, 'connected')
  })

  it('creates a new document with a readable name and lists it as recent', async () => {
    await page.goto(server.url)
    await page.getByRole('link', { name: 'New document' }).click()
    await page.waitForURL(/\/d\/[a-z]+-[a-z]+-\d\d$/, WAIT)
    const name = new URL(page.url()).pathname.slice(3)
    await waitForStatus(page, 'connected')
    await page.goto(server.url)
    await page.locator('.recent a', { hasText: name }).waitFor(WAIT)
  })
})

describe('tokens', () => {
  beforeAll(() => {
    console_.refusals = true
  })

  it('stops and says why when the token is refused', async () => {
    const requests = routeAccess(page, 401, { error: 'token expired' })
    await openDocument(page, server.url, 'secret', '?token=old')
    await waitForStatus(page, 'unauthorized')
    await page.locator('.banner', { hasText: 'token expired' }).waitFor(WAIT)
    expect(await page.locator('.status').textContent()).toBe('No access')
    expect(await editable(page)).toBe('false')
    expect(await page.locator('.cm-placeholder').isVisible()).toBe(false)
    expect(await page.evaluate(() => window.quire!.provider.shouldConnect)).toBe(false)
    expect(new URL(requests[0]!).searchParams.get('token')).toBe('old')
  })

  it('stops when the server closes the socket with 4401', async () => {
    await page.routeWebSocket(url => url.pathname === '/closed-on-me', ws => ws.close({ code: 4401, reason: 'token revoked' }))
    await openDocument(page, server.url, 'closed-on-me')
    await waitForStatus(page, 'unauthorized')
    await page.locator('.banner', { hasText: 'token revoked' }).waitFor(WAIT)
    expect(await page.evaluate(() => window.quire!.provider.shouldConnect)).toBe(false)
  })

  it('opens read-only when the token only allows reading', async () => {
    routeAccess(page, 200, { access: 'read' })
    await openDocument(page, server.url, 'team/weekly', '?token=reader')
    await waitForStatus(page, 'connected')
    await page.locator('.banner', { hasText: 'You can read this document but not edit it' }).waitFor(WAIT)
    expect(await editable(page)).toBe('false')
    expect(await page.locator('.status').textContent()).toContain('read only')
  })

  it("turns read-only on the server's permission-denied message", async () => {
    await page.routeWebSocket(url => url.pathname === '/guarded', ws => {
      ws.connectToServer()
      // y-protocols auth frame: [messageAuth=2, permissionDenied=0, varString reason]
      const reason = Buffer.from('read-only token')
      ws.send(Buffer.concat([Buffer.from([2, 0, reason.length]), reason]))
    })
    await openDocument(page, server.url, 'guarded')
    await page.locator('.banner', { hasText: 'read-only token' }).waitFor(WAIT)
    expect(await editable(page)).toBe('false')
  })

  it('asks the server why when the socket cannot even open, and stops on 403', async () => {
    await openDocument(page, server.url, 'moved-away')
    await waitForStatus(page, 'connected')
    routeAccess(page, 403, { error: 'this token is for another document' })
    // A refused upgrade and a stopped server look the same to a browser: a socket that never opens.
    console_.outage = true
    await server.stop()
    await waitForStatus(page, 'forbidden')
    await page.locator('.banner', { hasText: 'this token is for another document' }).waitFor(WAIT)
    expect(await page.evaluate(() => window.quire!.provider.shouldConnect)).toBe(false)
    server = await startServer(server.dataDir, server.port)
    await waitForText(page, '')
  })

  it('logged no errors', () => {
    expect(console_.errors).toEqual([])
  })
})
