/**
 * The network drops while the server runs. Alice reaches the server through a proxy that can go
 * silent (no bytes either way, nothing closed), as a lost route or a dead Wi-Fi does; Bob is
 * connected directly. Her header must say offline within seconds instead of "Saved", Bob must
 * stop seeing her, her typing goes on, and once the network is back everything reaches Bob.
 */
import { startTcpProxy, type TcpProxy } from '@quire/testkit'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caretToEnd, openDocument, WAIT, waitForStatus, waitForText } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, type QuireServer, startServer } from './support/server.js'

let server: QuireServer
let proxy: TcpProxy
let browser: Browser
let aliceConsole: ConsoleWatch
let bobConsole: ConsoleWatch
let a: Page
let b: Page
const doc = 'network-drop'

beforeAll(async () => {
  // Pings every 5 s (the default is 30 s), so the server gives up on a silent connection within 10 s.
  server = await startServer(await freshDataDir(), 0, { flags: ['--ping-interval-ms', '5000'] })
  proxy = await startTcpProxy(server.port)
  const throughProxy = `http://127.0.0.1:${proxy.port}`
  browser = await launchBrowser()
  aliceConsole = new ConsoleWatch(throughProxy)
  bobConsole = new ConsoleWatch(server.url)
  a = aliceConsole.watch(await (await newPerson(browser)).newPage(), 'alice')
  b = bobConsole.watch(await (await newPerson(browser)).newPage(), 'bob')
  await openDocument(a, throughProxy, doc)
  await openDocument(b, server.url, doc)
  await a.locator('.your-name').fill('Alice Away')
  await waitForStatus(a, 'connected', true)
  await b.locator('.avatar[data-name="Alice Away"]').waitFor(WAIT)
})

afterAll(async () => {
  await browser?.close()
  await proxy?.close()
  await server?.stop()
})

async function typeAtEnd(page: Page, text: string): Promise<void> {
  await caretToEnd(page)
  await page.keyboard.type(text)
}

describe('a dropped network', () => {
  it('a silent drop: offline within seconds, Bob stops seeing Alice, and all is delivered once it is back', async () => {
    await typeAtEnd(a, 'One.')
    await waitForText(b, 'One.')
    // Everything acknowledged: a server that still owes acknowledgements is given longer.
    await waitForStatus(a, 'connected', true)
    proxy.freeze()
    const droppedAt = Date.now()
    // Nothing tells the page: its liveness check (5 s of silence, 10 s for an answer) must.
    await a.locator('.status[data-connection="offline"]').waitFor({ timeout: 40_000 })
    expect(Date.now() - droppedAt).toBeLessThan(25_000)
    // The server's keepalive (5 s pings, two missed) takes Alice's presence away.
    await b.locator('.avatar[data-name="Alice Away"]').waitFor({ ...WAIT, state: 'detached' })
    expect(Date.now() - droppedAt).toBeLessThan(25_000)
    await typeAtEnd(a, ' Two.')
    await waitForStatus(a, 'offline', false)
    proxy.thaw()
    await waitForStatus(a, 'connected', true)
    await waitForText(b, 'One. Two.')
    await b.locator('.avatar[data-name="Alice Away"]').waitFor(WAIT)
  })

  it('Wi-Fi off: the browser says so and the header follows at once; back on, it reconnects at once', async () => {
    aliceConsole.outage = true
    proxy.freeze()
    await a.context().setOffline(true)
    const droppedAt = Date.now()
    await waitForStatus(a, 'offline')
    expect(Date.now() - droppedAt).toBeLessThan(3_000)
    await a.locator('.banner', { hasText: 'You are offline' }).waitFor(WAIT)
    await typeAtEnd(a, ' Three.')
    await waitForStatus(a, 'offline', false)
    if (process.env.QUIRE_SCREENSHOTS) await a.screenshot({ path: `${process.env.QUIRE_SCREENSHOTS}/network-offline.png` })
    proxy.thaw()
    await a.context().setOffline(false)
    await waitForStatus(a, 'connected', true)
    aliceConsole.outage = false
    await waitForText(b, 'One. Two. Three.')
  })

  it('logged no errors beyond the failed requests of the outage', () => {
    expect([...aliceConsole.errors, ...bobConsole.errors]).toEqual([])
  })
})
