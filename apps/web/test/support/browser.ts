/**
 * Headless Chromium from the system package, driven by playwright-core, and a watch on each
 * page's console so a test fails on any error the user's browser would log.
 */
import { existsSync } from 'node:fs'
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core'

/** The browser binary; Debian's `chromium` package puts it here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Launch headless Chromium; fails (never skips) when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}. The browser tests need it: run "apt-get install chromium" (or set CHROMIUM_PATH).`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run'
    ]
  })
}

/**
 * Console errors and uncaught exceptions of the pages it watches. Chromium reports failed
 * requests itself; two kinds are expected while a test provokes them, and dropped: refused
 * connections while `outage` is set (the server stopped, or the browser went offline, on purpose), and 401/403/429 answers to
 * document sockets and the access endpoint while `refusals` is set. Nothing else is.
 */
export class ConsoleWatch {
  readonly errors: string[] = []
  outage = false
  refusals = false
  readonly #server: string

  constructor(serverUrl: string) {
    this.#server = serverUrl
  }

  #expected(text: string, url: string): boolean {
    const access = url.startsWith(`${this.#server}/api/access/`)
    const socket = `WebSocket connection to '${this.#server.replace(/^http/, 'ws')}/`
    if (this.refusals) {
      if (access && /^Failed to load resource: the server responded with a status of (401|403|429) /.test(text)) return true
      // Chromium words a 401 to an upgrade as a failed HTTP authentication.
      if (
        text.startsWith(socket) &&
        /' failed: (Error during WebSocket handshake: Unexpected response code: (401|403|429)|HTTP Authentication failed; no valid credentials available)$/.test(
          text
        )
      )
        return true
    }
    if (!this.outage) return false
    // The server stopped, or the browser went offline.
    if (text.startsWith(socket)) return /' failed: .*net::(ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED)$/.test(text)
    // The editor asks the access endpoint why its socket failed, and the server how it is run
    // (GET /api/server); with no server, those fail too.
    const asked = access || url === `${this.#server}/api/server`
    return /^Failed to load resource: net::(ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED)$/.test(text) && asked
  }

  /** Watch `page`, labelling its messages with `label`. */
  watch(page: Page, label: string): Page {
    page.on('console', (message) => {
      if (message.type() !== 'error') return
      const text = message.text()
      if (this.#expected(text, message.location().url)) return
      this.errors.push(`[${label}] console.error: ${text} (${message.location().url})`)
    })
    page.on('pageerror', (error) => this.errors.push(`[${label}] uncaught: ${error.stack ?? error.message}`))
    return page
  }
}

/** A fresh browser profile (its own IndexedDB, storage and BroadcastChannel), like another person. */
export function newPerson(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1100, height: 720 }, ...options })
}
