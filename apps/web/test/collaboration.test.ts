/**
 * Two people in one document: typing at once, seeing each other, reload, export, share.
 */
import { readFile } from 'node:fs/promises'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caretToEnd, editorText, openDocument, setName, WAIT, waitForStatus, waitForText } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, type QuireServer, startServer } from './support/server.js'

let server: QuireServer
let browser: Browser
let console_: ConsoleWatch
let alice: BrowserContext
let bob: BrowserContext
let a: Page
let b: Page
const doc = 'team/plan-7'

beforeAll(async () => {
  server = await startServer(await freshDataDir())
  browser = await launchBrowser()
  console_ = new ConsoleWatch(server.url)
  alice = await newPerson(browser, { permissions: ['clipboard-read', 'clipboard-write'] })
  bob = await newPerson(browser)
  a = console_.watch(await alice.newPage(), 'alice')
  b = console_.watch(await bob.newPage(), 'bob')
  await openDocument(a, server.url, doc)
  await openDocument(b, server.url, doc)
  await setName(a, 'Alice Liddell')
  await setName(b, 'Bob')
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('two people in one document', () => {
  it('connects and reports everything saved', async () => {
    await waitForStatus(a, 'connected', true)
    await waitForStatus(b, 'connected', true)
    expect(await a.locator('.document-name').textContent()).toBe(doc)
    expect(await a.title()).toBe(`${doc} · Quire`)
  })

  it('converges when both type at the same time', async () => {
    await caretToEnd(a)
    await a.keyboard.type('first line')
    await waitForText(b, 'first line')
    await caretToEnd(b)
    await b.keyboard.press('Enter')
    await b.keyboard.type('second line')
    await waitForText(a, 'first line\nsecond line')
    // Alice appends to line 1 while Bob appends to line 2, keystroke against keystroke.
    await a.evaluate(() => window.quire!.view.dispatch({ selection: { anchor: 'first line'.length } }))
    await caretToEnd(b)
    await Promise.all([a.keyboard.type(' by alice, typed fast', { delay: 15 }), b.keyboard.type(' and bob at once', { delay: 15 })])
    const expected = 'first line by alice, typed fast\nsecond line and bob at once'
    await waitForText(a, expected)
    await waitForText(b, expected)
    await waitForStatus(a, 'connected', true)
    await waitForStatus(b, 'connected', true)
  })

  it('undoes only your own edits', async () => {
    const before = await editorText(a)
    const [line1, line2] = before.split('\n')
    // Y.UndoManager merges edits less than 500 ms apart into one step: keep this one separate.
    await a.waitForTimeout(600)
    await a.evaluate(() => window.quire!.view.dispatch({ selection: { anchor: window.quire!.view.state.doc.line(1).to } }))
    await a.keyboard.type('!!')
    await waitForText(b, `${line1}!!\n${line2}`)
    await caretToEnd(b)
    await b.keyboard.type('??')
    await waitForText(a, `${line1}!!\n${line2}??`)
    await a.keyboard.press('ControlOrMeta+z')
    await waitForText(a, `${line1}\n${line2}??`)
    await waitForText(b, `${line1}\n${line2}??`)
  })

  it("shows each person the other's caret with their name", async () => {
    await a.locator('.cm-remoteCaretName', { hasText: 'Bob' }).waitFor({ state: 'visible', ...WAIT })
    await b.locator('.cm-remoteCaretName', { hasText: 'Alice Liddell' }).waitFor({ state: 'visible', ...WAIT })
    // The names are for sighted readers; a screen reader would read them into the text.
    expect(await a.locator('.cm-remoteCaretName', { hasText: 'Bob' }).getAttribute('aria-hidden')).toBe('true')
  })

  it('moves a caret when its owner only moves it, without typing', async () => {
    // Where Alice sees Bob's caret; a redraw that skipped presence-only changes would leave it.
    const bobsCaretAt = (at: number) =>
      a.waitForFunction(
        (at) => {
          const caret = document.querySelector('.cm-remoteCaret')
          return caret !== null && window.quire!.view.posAtDOM(caret) === at
        },
        at,
        WAIT
      )
    await b.evaluate(() => {
      window.quire!.view.focus()
      window.quire!.view.dispatch({ selection: { anchor: 0 } })
    })
    await bobsCaretAt(0)
    await caretToEnd(b)
    await bobsCaretAt((await editorText(a)).length)
  })

  it('lists both people present, with initials in their colours', async () => {
    for (const page of [a, b]) {
      await page.locator('.presence .count', { hasText: '2' }).waitFor(WAIT)
    }
    const avatars = await a.locator('.presence .avatar').evaluateAll((nodes) =>
      nodes.map((node) => ({
        text: node.textContent,
        name: (node as HTMLElement).dataset.name,
        color: (node as HTMLElement).style.backgroundColor
      }))
    )
    expect(avatars.map((avatar) => [avatar.text, avatar.name])).toEqual([
      ['AL', 'Alice Liddell'],
      ['B', 'Bob']
    ])
    expect(avatars.every((avatar) => avatar.color !== '')).toBe(true)
  })

  it('keeps the text and the name across a reload', async () => {
    const text = await editorText(a)
    await a.reload()
    await waitForStatus(a, 'connected', true)
    await waitForText(a, text)
    expect(await a.locator('.your-name').inputValue()).toBe('Alice Liddell')
    await b.locator('.cm-remoteCaretName', { hasText: 'Alice Liddell' }).waitFor({ state: 'attached', ...WAIT })
  })

  it('exports exactly the text, as .md and as .txt', async () => {
    const text = await editorText(a)
    for (const [label, fileName] of [
      ['Markdown (.md)', 'plan-7.md'],
      ['Plain text (.txt)', 'plan-7.txt']
    ] as const) {
      await a.locator('.export summary').click()
      const [download] = await Promise.all([a.waitForEvent('download', WAIT), a.getByRole('button', { name: label }).click()])
      expect(download.suggestedFilename()).toBe(fileName)
      expect(await readFile((await download.path())!, 'utf8')).toBe(text)
    }
  })

  it('copies the link with the share button and says so', async () => {
    await a.locator('.share summary').click()
    await a.locator('.share-result', { hasText: 'Link copied' }).waitFor(WAIT)
    expect(await a.evaluate(() => navigator.clipboard.readText())).toBe(`${server.url}/d/${doc}`)
  })

  it('logged no errors in either page', () => {
    expect(console_.errors).toEqual([])
  })
})
