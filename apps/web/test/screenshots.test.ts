/**
 * Screenshots of the home page and a document page, light and dark, desktop and phone, saved
 * in test-results/ for people to look at (they are not compared against anything).
 */
import { mkdir, stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDocument, setName, WAIT, waitForStatus, waitForText } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, type QuireServer, startServer } from './support/server.js'

const out = fileURLToPath(new URL('../test-results/', import.meta.url))
const doc = 'team/launch-plan'
const text = `# Launch plan

We ship **Quire 1.0** on *Friday*. See [the checklist](https://example.com/checklist).

## Before
- [x] Sync server passes the crash tests
- [ ] Screenshots look right in \`dark mode\`

> Nothing typed is ever lost.
`

let server: QuireServer
let browser: Browser
let console_: ConsoleWatch
let ada: Page
let grace: Page

async function shoot(page: Page, name: string): Promise<void> {
  const path = `${out}${name}.png`
  await page.screenshot({ path })
  expect((await stat(path)).size).toBeGreaterThan(5_000)
}

beforeAll(async () => {
  await mkdir(out, { recursive: true })
  server = await startServer(await freshDataDir())
  browser = await launchBrowser()
  console_ = new ConsoleWatch(server.url)
  ada = console_.watch(await (await newPerson(browser)).newPage(), 'ada')
  grace = console_.watch(await (await newPerson(browser, { viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true })).newPage(), 'grace')
  await openDocument(ada, server.url, 'meeting-notes')
  await openDocument(ada, server.url, doc)
  await openDocument(grace, server.url, doc)
  await setName(ada, 'Ada Lovelace')
  await setName(grace, 'Grace Brewster Murray Hopper')
  // Fixed colours, so the pictures do not change from run to run.
  await ada.evaluate(() => window.quire!.setUser({ color: '#6aa8ff', colorLight: '#6aa8ff40' }))
  await grace.evaluate(() => window.quire!.setUser({ color: '#ffa53d', colorLight: '#ffa53d40' }))
  await ada.evaluate((t) => window.quire!.view.dispatch({ changes: { from: 0, insert: t } }), text)
  await waitForText(grace, text)
  await grace.evaluate(() => {
    const view = window.quire!.view
    view.focus()
    const at = view.state.doc.toString().indexOf('Friday')
    view.dispatch({ selection: { anchor: at, head: at + 'Friday'.length } })
  })
  await ada.evaluate(() => {
    const view = window.quire!.view
    view.focus()
    view.dispatch({ selection: { anchor: view.state.doc.line(7).to } })
  })
  await ada.locator('.cm-remoteCaretName', { hasText: 'Grace Brewster Murray Hopper' }).waitFor(WAIT)
  await grace.locator('.cm-remoteCaretName', { hasText: 'Ada Lovelace' }).waitFor(WAIT)
  await waitForStatus(ada, 'connected', true)
  await waitForStatus(grace, 'connected', true)
  // The counts follow a moment after the last change: the pictures show them settled.
  for (const page of [ada, grace]) await page.locator('.counts', { hasText: /^[1-9]/ }).waitFor(WAIT)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('screenshots', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`document page, ${scheme}`, async () => {
      for (const page of [ada, grace]) await page.emulateMedia({ colorScheme: scheme })
      await shoot(ada, `document-${scheme}`)
      await shoot(grace, `document-phone-${scheme}`)
    })

    if (scheme === 'light') {
      it('shows a long name whole in the name field at phone width', async () => {
        const field = await grace.locator('.your-name').evaluate((input) => ({
          scroll: input.scrollWidth,
          client: input.clientWidth,
          right: input.getBoundingClientRect().right
        }))
        expect(field.scroll).toBeLessThanOrEqual(field.client)
        expect(field.right).toBeLessThanOrEqual(390)
      })
    }

    it(`preview, share, people and shortcuts, ${scheme}`, async () => {
      for (const page of [ada, grace]) await page.getByRole('button', { name: 'Preview' }).click()
      await ada.locator('.preview h1', { hasText: 'Launch plan' }).waitFor(WAIT)
      await shoot(ada, `preview-${scheme}`)
      await shoot(grace, `preview-phone-${scheme}`)
      for (const page of [ada, grace]) await page.getByRole('button', { name: 'Preview' }).click()
      await ada.locator('.share summary').click()
      await ada.locator('.share-result:not(:empty)').waitFor(WAIT)
      await shoot(ada, `share-${scheme}`)
      await ada.keyboard.press('Escape')
      await grace.locator('.people summary').click()
      await shoot(grace, `people-phone-${scheme}`)
      await grace.keyboard.press('Escape')
      await ada.getByRole('button', { name: 'Keyboard shortcuts' }).click()
      await shoot(ada, `shortcuts-${scheme}`)
      await ada.keyboard.press('Escape')
    })

    it(`home page, ${scheme}`, async () => {
      const home = console_.watch(await ada.context().newPage(), 'home')
      await home.emulateMedia({ colorScheme: scheme })
      await home.goto(server.url)
      await home.locator('.recent a', { hasText: doc }).waitFor(WAIT)
      await home.locator('.server-note[data-mode="open"]').waitFor(WAIT)
      await shoot(home, `home-${scheme}`)
      await home.close()
    })
  }

  it('logged no errors', () => {
    expect(console_.errors).toEqual([])
  })
})
