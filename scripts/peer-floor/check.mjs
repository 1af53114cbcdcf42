// Two people type into the peer-floor page in Chromium through the real server: their text
// syncs and is acknowledged, each sees the other's caret and name, and undo takes back only
// one's own typing. Exits 1 on any failure or console error.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [root, webDir] = process.argv.slice(2)
const { createServer } = await import(pathToFileURL(join(root, 'packages/sync-server/dist/index.js')).href)
const { chromium } = await import(pathToFileURL(join(root, 'apps/web/node_modules/playwright-core/index.mjs')).href)
const WAIT = { timeout: 60_000 }

const dataDir = mkdtempSync(join(tmpdir(), 'quire-peer-floor-'))
const server = createServer({ port: 0, host: '127.0.0.1', dataDir, webDir, logLevel: 'silent' })
const { url } = await server.listen()
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
})
const errors = []
const open = async (name) => {
  const page = await (await browser.newContext()).newPage()
  page.on('console', (message) => {
    // The bare page has no icon; nothing else may log an error.
    if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) errors.push(`${name}: ${message.text()}`)
  })
  page.on('pageerror', (error) => errors.push(`${name}: ${error.message}`))
  await page.goto(`${url}/?name=${name}`)
  await page.waitForFunction(() => window.quire?.status.connection === 'connected', null, WAIT)
  return page
}
const text = (page, expected) => page.waitForFunction((want) => window.quire.view.state.doc.toString() === want, expected, WAIT)

let failed = false
let step = 'open the page'
try {
  const ada = await open('Ada')
  const bob = await open('Bob')
  step = 'Ada types, Bob sees it'
  await ada.click('.cm-content')
  await ada.keyboard.type('hello')
  await text(bob, 'hello')
  step = "the server acknowledges Ada's typing"
  await ada.waitForFunction(() => window.quire.status.saved, null, WAIT)
  step = "Bob sees Ada's caret and name"
  await bob.waitForFunction(() => [...document.querySelectorAll('.cm-remoteCaretName')].some((e) => e.textContent === 'Ada'), null, WAIT)
  step = 'Bob types, Ada sees it'
  await bob.click('.cm-content')
  await bob.keyboard.press('End')
  await bob.keyboard.type('!')
  await text(ada, 'hello!')
  step = "Ada's undo takes back only her typing"
  await ada.click('.cm-content')
  await ada.keyboard.press('Control+z')
  await text(bob, '!')
} catch (error) {
  failed = true
  console.error(`peer-floor: ${step}: ${error.message}`)
} finally {
  await browser.close()
  await server.close()
  rmSync(dataDir, { recursive: true, force: true })
}
if (errors.length > 0) console.error(`peer-floor: console errors:\n${errors.join('\n')}`)
const ok = !failed && errors.length === 0
console.log(ok ? 'peer-floor: typing, sync, saved, remote carets and own-only undo all work' : 'peer-floor: FAILED')
process.exit(ok ? 0 : 1)
