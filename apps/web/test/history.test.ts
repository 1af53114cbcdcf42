/**
 * The History panel against the real server with history (issue 12): two people with write links
 * (their tokens name them, so authors are verified) write in one document while versions are cut;
 * one opens the panel, scrubs the timeline, sees what changed since the version before and since
 * then, sees who wrote what, names a version, restores an old one and undoes the restore; a third
 * person with a read link views, copies and downloads, and is offered neither restore nor naming.
 * Screenshots (desktop, dark, phone) go to QUIRE_SHOTS or a temp folder, for people to look at.
 */
import { mkdir, mkdtemp, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signToken } from '../node_modules/@quire/sync-server/src/auth/token.js'
import { caretToEnd, editorText, openDocument, WAIT, waitForStatus, waitForText } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, type QuireServer, startServer } from './support/server.js'

const SECRET = 'history-test-secret-0123456789'
const doc = 'team/history'
/** Versions are cut after this much quiet, so each burst of typing below becomes one version (or a few, on a loaded machine). */
const QUIET_MS = 1000

let server: QuireServer
let browser: Browser
let console_: ConsoleWatch
let shots: string
const contexts: BrowserContext[] = []
let ada: Page
let bob: Page

const token = (grant: { access?: 'read' | 'write'; user?: string }): Promise<string> =>
  signToken(SECRET, { doc, access: 'write', expiresInSeconds: 3600, ...grant })

async function person(label: string, options: Parameters<typeof newPerson>[1] = {}): Promise<Page> {
  const context = await newPerson(browser, { permissions: ['clipboard-read', 'clipboard-write'], ...options })
  contexts.push(context)
  return console_.watch(await context.newPage(), label)
}

interface ListedVersion {
  id: string
  label: string | null
  kind: string
}

/** The versions as the API lists them (newest first), read with a write token. */
async function versions(): Promise<ListedVersion[]> {
  const response = await fetch(`${server.url}/api/docs/${doc}/versions`, { headers: { authorization: `Bearer ${await token({})}` } })
  expect(response.status).toBe(200)
  return ((await response.json()) as { versions: ListedVersion[] }).versions
}

/** A version's text as the API gives it. */
async function apiText(id: string): Promise<string> {
  const response = await fetch(`${server.url}/api/docs/${doc}/versions/${id}`, { headers: { authorization: `Bearer ${await token({})}` } })
  expect(response.status).toBe(200)
  return response.text()
}

/** Wait until the newest version's text is `text`; returns the versions then. */
async function waitForVersionOf(text: string): Promise<ListedVersion[]> {
  const deadline = Date.now() + WAIT.timeout
  let newest = ''
  for (;;) {
    const listed = await versions()
    if (listed[0] !== undefined) {
      newest = await apiText(listed[0].id)
      if (newest === text) return listed
    }
    if (Date.now() > deadline) throw new Error(`no version holds ${JSON.stringify(text)}; the newest holds ${JSON.stringify(newest)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Type `text` at the end of `page`'s document and wait until `others` have it and a version holds it. */
async function write(page: Page, text: string, others: Page[]): Promise<ListedVersion[]> {
  await caretToEnd(page)
  await page.keyboard.type(text)
  const expected = await editorText(page)
  for (const other of others) await waitForText(other, expected)
  return waitForVersionOf(expected)
}

async function openHistory(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'History' }).click()
  await page.locator('.history-panel button.version').first().waitFor(WAIT)
}

/** Wait until the version viewer shows version `id` in `mode`. */
async function viewerShows(page: Page, mode: string, id: string): Promise<void> {
  await page.locator(`.viewer-text[data-mode="${mode}"][data-version="${id}"]:not([aria-busy]) .cm-content`).waitFor(WAIT)
}

/** The text the viewer shows in its plain text mode (short texts: every line is drawn). */
function versionText(page: Page): Promise<string> {
  return page
    .locator('.viewer-text[data-mode="text"] .cm-content')
    .evaluate((content) => [...content.querySelectorAll('.cm-line')].map((line) => line.textContent).join('\n'))
}

async function shoot(page: Page, name: string): Promise<void> {
  const path = join(shots, `${name}.png`)
  await page.screenshot({ path })
  expect((await stat(path)).size).toBeGreaterThan(5_000)
}

beforeAll(async () => {
  shots = process.env.QUIRE_SHOTS ?? (await mkdtemp(join(tmpdir(), 'quire-history-shots-')))
  await mkdir(shots, { recursive: true })
  server = await startServer(await freshDataDir(), 0, { flags: ['--auth-secret', SECRET, '--history-idle-ms', String(QUIET_MS)] })
  browser = await launchBrowser()
  console_ = new ConsoleWatch(server.url)
  ada = await person('ada')
  bob = await person('bob')
  await openDocument(ada, server.url, doc, `?token=${await token({ user: 'Ada Lovelace' })}`)
  await openDocument(bob, server.url, doc, `?token=${await token({ user: 'Bob Builder' })}`)
  await waitForStatus(ada, 'connected', true)
  await waitForStatus(bob, 'connected', true)
})

afterAll(async () => {
  console.log(`history screenshots: ${shots}`)
  for (const context of contexts) await context.close()
  await browser?.close()
  await server?.stop()
})

describe('the History panel', () => {
  let first: string
  let second: string
  let third: string

  it('lists the versions two people wrote, by day, with verified authors and counts', async () => {
    let listed = await write(ada, '# Launch\n\nWe ship on Monday.\n', [bob])
    first = listed[0]!.id
    listed = await write(bob, '\nBob checks the servers.\n', [ada])
    second = listed[0]!.id
    listed = await write(ada, '\nAda writes the notes.\n', [bob])
    third = listed[0]!.id

    await openHistory(ada)
    const panel = ada.locator('.history-panel')
    expect(await panel.locator('.day h3').first().textContent()).toBe('Today')
    expect(await panel.locator('button.version').count()).toBe(listed.length)
    const newest = panel.locator(`button.version[data-id="${third}"]`)
    expect(await newest.locator('.author').allTextContents()).toEqual(['Ada Lovelace'])
    expect(await panel.locator(`button.version[data-id="${second}"] .author`).allTextContents()).toEqual(['Bob Builder'])
    // Verified names carry no "unverified" mark; counts are words too, not only + and −.
    expect(await panel.locator('.unverified').count()).toBe(0)
    expect(await newest.locator('.version-counts').getAttribute('aria-label')).toMatch(/^\d+ characters added, 0 removed$/)
  })

  it('scrubs through the versions with the timeline, by keyboard', async () => {
    const listed = await versions()
    const timeline = ada.getByRole('slider', { name: /Timeline/ })
    await timeline.focus()
    await ada.keyboard.press('Home')
    await viewerShows(ada, 'text', listed.at(-1)!.id)
    expect(await versionText(ada)).toBe(await apiText(listed.at(-1)!.id))
    await timeline.focus()
    await ada.keyboard.press('End')
    await viewerShows(ada, 'text', third)
    expect(await versionText(ada)).toBe(await editorText(ada))
    // One step back: the version before the newest, whichever burst of typing it holds.
    await ada.keyboard.press('ArrowLeft')
    await viewerShows(ada, 'text', listed[1]!.id)
    expect(await versionText(ada)).toBe(await apiText(listed[1]!.id))
    expect(await ada.locator(`button.version[data-id="${listed[1]!.id}"]`).getAttribute('aria-current')).toBe('true')
    expect(await ada.locator('button.version[aria-current="true"]').count()).toBe(1)
    expect(await timeline.getAttribute('aria-valuetext')).toMatch(/^Version of /)
    expect(await ada.locator('.timeline-note').textContent()).toBe(`${listed.length - 1} of ${listed.length}`)
  })

  it('shows what changed since the version before: insertions underlined, not by colour alone', async () => {
    await ada.locator(`button.version[data-id="${second}"]`).click()
    await ada.getByRole('button', { name: 'Changes', exact: true }).click()
    await viewerShows(ada, 'previous', second)
    const inserted = ada.locator('.viewer-text .cm-changedText')
    // Bob's line, whole or (when a loaded machine cut his typing in two) its end; nothing else.
    const added = (await inserted.allTextContents()).join('').trim()
    expect(added).not.toBe('')
    expect('Bob checks the servers.'.endsWith(added)).toBe(true)
    expect(await ada.locator('.viewer-text .cm-deletedText').count()).toBe(0)
    expect(await inserted.first().evaluate((node) => getComputedStyle(node).textDecorationLine)).toContain('underline')
    expect(await ada.locator('.diff-legend').isVisible()).toBe(true)
  })

  it('compares a version with now while the live text keeps syncing, and counts what arrived', async () => {
    await ada.locator(`button.version[data-id="${first}"]`).click()
    await viewerShows(ada, 'previous', first)
    // Bob changes the live text while Ada looks at the old version.
    await bob.evaluate(() => {
      const view = window.quire!.view
      const at = view.state.doc.toString().indexOf('Monday')
      view.dispatch({ changes: { from: at, to: at + 'Monday'.length, insert: 'Tuesday' } })
    })
    await ada.locator('.live-note', { hasText: /\d+ changes? ha(s|ve) arrived since you opened this version/ }).waitFor(WAIT)
    await waitForText(ada, (await editorText(bob)).toString())
    await ada.getByRole('button', { name: 'Compare with now' }).click()
    await viewerShows(ada, 'now', first)
    const deleted = ada.locator('.viewer-text .cm-deletedText')
    expect((await deleted.allTextContents()).join('')).toContain('Monday')
    expect(await deleted.first().evaluate((node) => getComputedStyle(node).textDecorationLine)).toContain('line-through')
    expect((await ada.locator('.viewer-text .cm-changedText').allTextContents()).join('')).toContain('Tuesday')
  })

  it('marks who wrote each stretch, with name and time on hover', async () => {
    await ada.locator(`button.version[data-id="${third}"]`).click()
    await ada.getByRole('button', { name: 'Authors' }).click()
    await viewerShows(ada, 'authors', third)
    expect(new Set(await ada.locator('.viewer-text .cm-authorName').allTextContents())).toEqual(new Set(['Ada Lovelace', 'Bob Builder']))
    const bobs = ada.locator('.viewer-text .cm-authored[data-author="Bob Builder"]')
    expect((await bobs.allTextContents()).join('')).toContain('Bob checks the servers.')
    expect(await bobs.first().getAttribute('title')).toMatch(/^Bob Builder · /)
  })

  it('names a version and finds it with the named filter', async () => {
    await ada.locator(`button.version[data-id="${second}"]`).click()
    await ada.getByRole('button', { name: 'Name…' }).click()
    await ada.getByRole('textbox', { name: 'Name of this version' }).fill('Sent to the editor')
    await ada.getByRole('button', { name: 'Save name' }).click()
    await ada.locator(`button.version[data-id="${second}"] .version-label`, { hasText: 'Sent to the editor' }).waitFor(WAIT)
    await ada.getByRole('checkbox', { name: 'Named versions only' }).check()
    await ada.locator('.history-panel button.version').first().waitFor(WAIT)
    expect(await ada.locator('.history-panel button.version').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.id))).toEqual([second])
    await ada.getByRole('checkbox', { name: 'Named versions only' }).uncheck()
  })

  it('takes screenshots of the panel: desktop, dark mode, phone width', async () => {
    await ada.locator(`button.version[data-id="${second}"]`).click()
    await ada.getByRole('button', { name: 'Changes', exact: true }).click()
    await viewerShows(ada, 'previous', second)
    await shoot(ada, 'history-desktop-changes')
    await ada.getByRole('button', { name: 'Authors' }).click()
    await viewerShows(ada, 'authors', second)
    await shoot(ada, 'history-desktop-authors')
    await ada.emulateMedia({ colorScheme: 'dark' })
    await ada.getByRole('button', { name: 'Compare with now' }).click()
    await viewerShows(ada, 'now', second)
    await shoot(ada, 'history-dark-now')
    await ada.emulateMedia({ colorScheme: 'light' })

    const phone = await person('phone', { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true })
    await openDocument(phone, server.url, doc, `?token=${await token({ user: 'Ada on the phone' })}`)
    await openHistory(phone)
    await shoot(phone, 'history-phone-list')
    await phone.locator(`button.version[data-id="${second}"]`).click()
    await phone.getByRole('button', { name: 'Changes', exact: true }).click()
    await viewerShows(phone, 'previous', second)
    // The version takes the live text's place, and its text has room on a phone.
    expect(await phone.locator('.editor-host').isVisible()).toBe(false)
    expect((await phone.locator('.viewer-text').boundingBox())!.height).toBeGreaterThan(200)
    await shoot(phone, 'history-phone-changes')
    await phone.context().close()
  })

  it('restores an old version for everyone, and undoes the restore', async () => {
    const before = await editorText(ada)
    await ada.locator(`button.version[data-id="${first}"]`).click()
    await ada.getByRole('button', { name: 'Restore this version' }).click()
    await ada.locator('.viewer-message[data-tone="ok"]', { hasText: 'Restored the version of' }).waitFor(WAIT)
    await waitForText(ada, '# Launch\n\nWe ship on Monday.\n')
    await waitForText(bob, '# Launch\n\nWe ship on Monday.\n')
    // The restore and the version kept from just before it are in the list.
    await ada.locator('.history-panel button.version[data-kind="restore"]').waitFor(WAIT)
    await ada.locator('.history-panel button.version[data-kind="before-restore"]').waitFor(WAIT)

    await ada.getByRole('button', { name: 'Undo restore' }).click()
    await ada.locator('.viewer-message', { hasText: 'Restore undone' }).waitFor(WAIT)
    await waitForText(ada, before)
    await waitForText(bob, before)
  })

  it('a read link views, copies and downloads any version, and has no restore or name', async () => {
    const reader = await person('reader')
    await openDocument(reader, server.url, doc, `?token=${await token({ access: 'read' })}`)
    await reader.locator('.status[data-connection="connected"][data-read-only="true"]').waitFor(WAIT)
    await openHistory(reader)
    await reader.locator(`button.version[data-id="${second}"]`).click()
    await viewerShows(reader, 'text', second)
    expect(await versionText(reader)).toBe('# Launch\n\nWe ship on Monday.\n\nBob checks the servers.\n')
    expect(await reader.getByRole('button', { name: 'Restore this version' }).isVisible()).toBe(false)
    expect(await reader.getByRole('button', { name: 'Name…' }).isVisible()).toBe(false)

    await reader.getByRole('button', { name: 'Copy' }).click()
    await reader.locator('.viewer-message', { hasText: 'Copied' }).waitFor(WAIT)
    expect(await reader.evaluate(() => navigator.clipboard.readText())).toBe('# Launch\n\nWe ship on Monday.\n\nBob checks the servers.\n')
    const [download] = await Promise.all([reader.waitForEvent('download', WAIT), reader.getByRole('button', { name: 'Download' }).click()])
    expect(download.suggestedFilename()).toMatch(/^history \(\d{4}-\d\d-\d\dT\d\d-\d\d\)\.md$/)
    expect(await readFile((await download.path())!, 'utf8')).toBe('# Launch\n\nWe ship on Monday.\n\nBob checks the servers.\n')

    // Past the page (as a modified client would): the server refuses a restore with a read token.
    const refused = await reader.evaluate(async (id) => {
      try {
        await window.quire!.history().restore(id)
        return 'restored'
      } catch (error) {
        return `${(error as { status?: number }).status}`
      }
    }, first)
    expect(refused).toBe('403')
    // The refused request is the only thing any page logged.
    expect(
      console_.errors.filter((error) => !/^\[reader\] console\.error: Failed to load resource: the server responded with a status of 403 /.test(error))
    ).toEqual([])
  })
  it('folds the unchanged stretches of a long text around a change, and opens them by keyboard', async () => {
    const filler = Array.from({ length: 40 }, (_, line) => `Unchanged line ${line + 1}.`).join('\n')
    // A paste: one change, one version.
    await ada.evaluate((text) => {
      const view = window.quire!.view
      view.dispatch({ changes: { from: view.state.doc.length, insert: `\n${text}\nThe end.\n` } })
    }, filler)
    await waitForVersionOf(await editorText(ada))
    await bob.evaluate(() => {
      const view = window.quire!.view
      const at = view.state.doc.toString().lastIndexOf('The end.')
      view.dispatch({ changes: { from: at, to: at + 'The end.'.length, insert: 'The very end.' } })
    })
    await waitForText(ada, await editorText(bob))
    const [changed] = await waitForVersionOf(await editorText(bob))
    await ada.locator(`button.version[data-id="${changed!.id}"]`).waitFor(WAIT)
    await ada.locator(`button.version[data-id="${changed!.id}"]`).click()
    await ada.getByRole('button', { name: 'Changes', exact: true }).click()
    await viewerShows(ada, 'previous', changed!.id)
    const folded = ada.locator('.viewer-text .cm-collapsedLines').first()
    await folded.waitFor(WAIT)
    expect(await folded.textContent()).toMatch(/^\d+ unchanged lines$/)
    expect((await ada.locator('.viewer-text .cm-changedText').allTextContents()).join('')).toContain('very')
    await shoot(ada, 'history-desktop-folded')
    // A button for the keyboard too: focused, Enter opens it.
    expect(await folded.getAttribute('role')).toBe('button')
    const lines = await ada.locator('.viewer-text .cm-line').count()
    await folded.focus()
    await ada.keyboard.press('Enter')
    await ada.waitForFunction((before) => document.querySelectorAll('.viewer-text .cm-line').length > before, lines, WAIT)
  })
})
