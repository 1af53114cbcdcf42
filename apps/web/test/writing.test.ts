/**
 * What a new writer runs into on an open server: being told it is open, names that are not
 * ASCII, the recent list, a calm status line, people by full name, menus that close with
 * Escape, lists, the preview, counts, import, keyboard help, and a header that keeps still.
 */
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caretToEnd, editorText, openDocument, setName, WAIT, waitForStatus, waitForText } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, type QuireServer, startServer } from './support/server.js'

let server: QuireServer
let browser: Browser
let console_: ConsoleWatch
let ada: BrowserContext
let a: Page
let b: Page

beforeAll(async () => {
  server = await startServer(await freshDataDir())
  browser = await launchBrowser()
  console_ = new ConsoleWatch(server.url)
  ada = await newPerson(browser, { permissions: ['clipboard-read', 'clipboard-write'] })
  a = console_.watch(await ada.newPage(), 'ada')
  b = console_.watch(await (await newPerson(browser)).newPage(), 'ben')
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('an open server says so', () => {
  it('on the home page, in the footer and in the Share menu', async () => {
    await a.goto(server.url)
    await a.locator('.server-note[data-mode="open"]', { hasText: 'anyone who has the address of a document can read and edit it' }).waitFor(WAIT)
    await openDocument(a, server.url, 'open/notice')
    await waitForStatus(a, 'connected', true)
    await a.locator('.open-note:visible', { hasText: 'Open server' }).waitFor(WAIT)
    await a.locator('.share summary').click()
    await a.locator('.share-result', { hasText: 'Link copied' }).waitFor(WAIT)
    expect(await a.locator('.share-means').textContent()).toContain('This server is open: anyone with this link')
    expect(await a.evaluate(() => navigator.clipboard.readText())).toBe(`${server.url}/d/open/notice`)
  })

  it('closes the Share and Export menus with Escape, focus back on their button', async () => {
    expect(await a.locator('.share').getAttribute('open')).toBe('')
    await a.keyboard.press('Escape')
    expect(await a.locator('.share').getAttribute('open')).toBeNull()
    await a.locator('.export summary').click()
    expect(await a.locator('.export').getAttribute('open')).toBe('')
    await a.keyboard.press('Escape')
    expect(await a.locator('.export').getAttribute('open')).toBeNull()
    expect(await a.evaluate(() => document.activeElement?.closest('.export') !== null)).toBe(true)
  })
})

describe('names people type', () => {
  for (const [typed, expected] of [
    ['my notes', /^my-notes$/],
    ['café', /^cafe$/],
    ['日本語メモ', /^note-[0-9a-z]{8}$/]
  ] as const) {
    it(`offers a valid name for "${typed}" and keeps what was typed as its title`, async () => {
      await a.goto(server.url)
      await a.getByLabel('Open a document by name').fill(typed)
      await a.getByRole('button', { name: 'Open', exact: true }).click()
      const offer = a.locator('.form-error .suggestion')
      await offer.waitFor(WAIT)
      const name = (await offer.locator('code').textContent())!
      expect(name).toMatch(expected)
      await offer.click()
      await a.waitForURL(`${server.url}/d/${name}`, WAIT)
      await waitForStatus(a, 'connected')
      expect(await a.locator('.document-name').textContent()).toBe(typed)
      await a.goto(server.url)
      const item = a.locator('.recent li', { has: a.locator(`a[href="/d/${name}"]`) })
      expect(await item.locator('.title').textContent()).toBe(typed)
    })
  }

  it('removes a document from the recent list, for good', async () => {
    await a.goto(server.url)
    const item = a.locator('.recent li', { has: a.locator('a[href="/d/cafe"]') })
    await item.waitFor(WAIT)
    await a.getByRole('button', { name: 'Remove café from this list' }).click()
    expect(await item.count()).toBe(0)
    await a.reload()
    await a.locator('.recent li').first().waitFor(WAIT)
    expect(await a.locator('.recent a[href="/d/cafe"]').count()).toBe(0)
  })
})

describe('writing', () => {
  const doc = 'writing/test'

  it('does not flicker "Saving…" in the status region on every keystroke', async () => {
    await openDocument(a, server.url, doc)
    await waitForStatus(a, 'connected', true)
    await a.evaluate(() => {
      const status = document.querySelector('.status')!
      const seen: string[] = []
      Object.assign(window, { statusTexts: seen })
      new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true })
    })
    await caretToEnd(a)
    await a.keyboard.type('Quick typing, quickly saved.', { delay: 20 })
    await waitForStatus(a, 'connected', true)
    const texts = await a.evaluate(() => (window as unknown as { statusTexts: string[] }).statusTexts)
    // Each acknowledgement on loopback arrives well within the delay: nothing to announce.
    expect(texts.filter((t) => t === 'Saving…').length).toBeLessThanOrEqual(1)
    expect(await a.locator('.status').textContent()).toBe('Saved')
  })

  it('continues a list without doubling a mark typed by hand: "- a⏎- b"', async () => {
    await a.evaluate(() => window.quire!.view.dispatch({ changes: { from: 0, to: window.quire!.view.state.doc.length, insert: '' } }))
    await caretToEnd(a)
    await a.keyboard.type('- a')
    await a.keyboard.press('Enter')
    await a.keyboard.type('- b')
    await a.keyboard.press('Enter')
    await a.keyboard.type('c')
    await a.keyboard.press('Enter')
    await a.keyboard.press('Enter')
    await a.keyboard.type('1. one')
    await a.keyboard.press('Enter')
    await a.keyboard.type('2. two')
    expect(await editorText(a)).toBe('- a\n- b\n- c\n1. one\n2. two')
  })

  it('counts words and characters as the text changes', async () => {
    await a.locator('.counts', { hasText: /^7 words · 25 characters$/ }).waitFor(WAIT)
  })

  it('previews the Markdown safely: markup becomes elements, HTML and scripts stay text', async () => {
    const text = [
      '# Title',
      '',
      'Some **bold**, *italic* and `code`, a [link](https://example.com/x) and a [trap](javascript:alert(1)).',
      '',
      '<script>window.pwned = true</script><img src=x onerror="window.pwned = true">',
      '',
      '- [x] done',
      '',
      '> quoted',
      '',
      '```',
      'let x = 1 < 2',
      '```'
    ].join('\n')
    await a.evaluate((t) => window.quire!.view.dispatch({ changes: { from: 0, to: window.quire!.view.state.doc.length, insert: t } }), text)
    await a.getByRole('button', { name: 'Preview' }).click()
    const preview = a.locator('.preview')
    await preview.locator('h1', { hasText: 'Title' }).waitFor(WAIT)
    expect(await preview.locator('strong').textContent()).toBe('bold')
    expect(await preview.locator('em').textContent()).toBe('italic')
    expect(await preview.locator('a').evaluateAll((links) => links.map((l) => [l.textContent, l.getAttribute('href')]))).toEqual([
      ['link', 'https://example.com/x']
    ])
    expect(await preview.textContent()).toContain('trap')
    expect(await preview.locator('script, img, [onerror]').count()).toBe(0)
    expect(await preview.textContent()).toContain('<script>window.pwned = true</script>')
    expect(await preview.locator('input[type=checkbox]').isChecked()).toBe(true)
    expect(await preview.locator('blockquote').textContent()).toContain('quoted')
    expect(await preview.locator('pre code').textContent()).toBe('let x = 1 < 2')
    expect(await a.evaluate(() => (window as unknown as { pwned?: boolean }).pwned)).toBeUndefined()
    // It follows the text.
    await caretToEnd(a)
    await a.keyboard.type('\n\n## More')
    await preview.locator('h2', { hasText: 'More' }).waitFor(WAIT)
    await a.getByRole('button', { name: 'Preview' }).click()
    expect(await preview.isVisible()).toBe(false)
  })

  it('imports a file at the caret from the Import button', async () => {
    const file = join(tmpdir(), `quire-import-${process.pid}.md`)
    await writeFile(file, 'Imported *text*\n')
    await a.evaluate(() => window.quire!.view.dispatch({ changes: { from: 0, to: window.quire!.view.state.doc.length, insert: 'before\n' } }))
    await caretToEnd(a)
    await a.locator('.import-file').setInputFiles(file)
    await waitForText(a, 'before\nImported *text*\n')
  })

  it('explains the keys, including how to leave the editor', async () => {
    expect(await a.locator('.cm-content').getAttribute('aria-describedby')).toBe('leave-editor-hint')
    expect(await a.locator('#leave-editor-hint').textContent()).toContain('press Escape, then Tab')
    await a.getByRole('button', { name: 'Keyboard shortcuts' }).click()
    const dialog = a.getByRole('dialog', { name: 'Keyboard shortcuts' })
    await dialog.waitFor(WAIT)
    expect(await dialog.textContent()).toContain('Esc, then Tab')
    await a.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden', ...WAIT })
    // And it works: Escape, then Tab, leaves the text.
    await a.locator('.cm-content').focus()
    await a.keyboard.press('Escape')
    await a.keyboard.press('Tab')
    expect(await a.evaluate(() => document.activeElement?.classList.contains('cm-content'))).toBe(false)
  })
})

describe('people', () => {
  const doc = 'people/test'

  it('names everyone in full, and a click on someone goes to their caret', async () => {
    await openDocument(a, server.url, doc)
    await openDocument(b, server.url, doc)
    await setName(a, 'Ada Lovelace')
    await setName(b, 'Ben Franklin Junior')
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n')
    await a.evaluate((t) => window.quire!.view.dispatch({ changes: { from: 0, insert: t } }), lines)
    await waitForText(b, lines)
    // Ben goes to the end; Ada is at the top.
    await caretToEnd(b)
    await a.evaluate(() => window.quire!.view.dispatch({ selection: { anchor: 0 }, scrollIntoView: true }))
    const avatar = a.getByRole('button', { name: 'Ben Franklin Junior: go to their caret' })
    await avatar.waitFor(WAIT)
    expect(await avatar.getAttribute('title')).toBe('Ben Franklin Junior')
    await a.locator('.people summary').click()
    expect(await a.locator('.people-list').textContent()).toContain('Ada Lovelace (you)')
    await a.locator('.people-list button', { hasText: 'Ben Franklin Junior' }).waitFor(WAIT)
    await a.keyboard.press('Escape')
    await a.waitForFunction(() => window.quire!.collaborators().some((p) => p.name === 'Ben Franklin Junior'), undefined, WAIT)
    // Wait until Ben's caret has arrived, then jump to it.
    await a.waitForFunction(
      () =>
        [...window.quire!.document.awareness.getStates().values()].some(
          (state) =>
            (state as { user?: { name?: string }; cursor?: unknown }).user?.name === 'Ben Franklin Junior' && (state as { cursor?: unknown }).cursor != null
        ),
      undefined,
      WAIT
    )
    expect(await a.evaluate(() => window.quire!.view.scrollDOM.scrollTop)).toBe(0)
    await avatar.click()
    await a.waitForFunction(() => window.quire!.view.state.selection.main.head === window.quire!.view.state.doc.length, undefined, WAIT)
    await a.waitForFunction(() => window.quire!.view.scrollDOM.scrollTop > 0, undefined, WAIT)
  })
})

describe('at phone width', () => {
  it('keeps the header still when the link is copied, and labels the name field', async () => {
    const phone = console_.watch(
      await (
        await newPerson(browser, { viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true, permissions: ['clipboard-read', 'clipboard-write'] })
      ).newPage(),
      'phone'
    )
    await openDocument(phone, server.url, 'phone/test')
    await waitForStatus(phone, 'connected', true)
    const header = (): Promise<{ height: number; share: number }> =>
      phone.evaluate(() => ({
        height: document.querySelector('header')!.getBoundingClientRect().height,
        share: document.querySelector('.share summary')!.getBoundingClientRect().width
      }))
    const before = await header()
    await phone.locator('.share summary').click()
    await phone.locator('.share-result', { hasText: 'Link copied' }).waitFor(WAIT)
    expect(await header()).toEqual(before)
    expect(await phone.locator('.you-label .label-text').isVisible()).toBe(true)
    const right = await phone.locator('.share-panel').evaluate((panel) => panel.getBoundingClientRect().right)
    expect(right).toBeLessThanOrEqual(390)
  })

  it('logged no errors', () => {
    expect(console_.errors).toEqual([])
  })
})
