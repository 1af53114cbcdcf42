/**
 * Driving the web app's document page: open it, type, read its text and status.
 */
import type { Page } from 'playwright-core'

/** Generous: the machine may be busy, and the server restarts within a test. */
export const WAIT = { timeout: 30_000 }

/**
 * Open document `name` on `baseUrl` in `page` and wait until the editor knows whether it may
 * edit (it is read-only until the server says, so keys typed before then go nowhere).
 */
export async function openDocument(page: Page, baseUrl: string, name: string, query = ''): Promise<void> {
  await page.goto(`${baseUrl}/d/${name}${query}`)
  await page.locator('.cm-content').waitFor(WAIT)
  await page.waitForFunction(() => window.quire !== undefined && window.quire.status.awaitingAccess === undefined, undefined, WAIT)
}

/** Wait until the header shows `connection` (and, if given, the saved flag). */
export async function waitForStatus(page: Page, connection: string, saved?: boolean): Promise<void> {
  const selector = `.status[data-connection="${connection}"]${saved === undefined ? '' : `[data-saved="${saved}"]`}`
  await page.locator(selector).waitFor(WAIT)
}

/** The document's text as the editor holds it. */
export function editorText(page: Page): Promise<string> {
  return page.evaluate(() => window.quire!.view.state.doc.toString())
}

/** Wait until the editor's text is `expected`. */
export async function waitForText(page: Page, expected: string): Promise<void> {
  try {
    await page.waitForFunction((text) => window.quire?.view.state.doc.toString() === text, expected, WAIT)
  } catch (error) {
    throw new Error(`text never became ${JSON.stringify(expected)}; it is ${JSON.stringify(await editorText(page).catch(() => '?'))}`, { cause: error })
  }
}

/** Put the caret at the end of the document. */
export async function caretToEnd(page: Page): Promise<void> {
  await page.evaluate(() => {
    const view = window.quire!.view
    view.focus()
    view.dispatch({ selection: { anchor: view.state.doc.length } })
  })
}

/** Set the user's name through the header's name field. */
export async function setName(page: Page, name: string): Promise<void> {
  await page.locator('.your-name').fill(name)
}
