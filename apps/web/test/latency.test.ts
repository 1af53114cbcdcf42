/**
 * Keystroke-to-other-page latency through the real server (which writes each update to
 * LevelDB before relaying it). Both pages run in one browser on one machine, so their clocks
 * agree: a keystroke is timed when it reaches the typist's document and again when it reaches
 * the other page's. Reported, not asserted: timings depend on the machine.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { caretToEnd, openDocument, waitForStatus, waitForText } from './support/app.js'
import { ConsoleWatch, launchBrowser, newPerson } from './support/browser.js'
import { freshDataDir, type QuireServer, startServer } from './support/server.js'

const KEYSTROKES = 200

let server: QuireServer
let browser: Browser
let console_: ConsoleWatch

// Record [time, text length] whenever the shared text changes in `page`.
async function recordChanges(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log: Array<[number, number]> = []
    Object.assign(window, { changeLog: log })
    const text = window.quire!.document.text
    text.observe(() => log.push([performance.timeOrigin + performance.now(), text.length]))
  })
}

function changeLog(page: Page): Promise<Array<[number, number]>> {
  return page.evaluate(() => (window as unknown as { changeLog: Array<[number, number]> }).changeLog)
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

beforeAll(async () => {
  server = await startServer(await freshDataDir())
  browser = await launchBrowser()
  console_ = new ConsoleWatch(server.url)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

it(`measures keystroke-to-other-page latency over ${KEYSTROKES} keystrokes`, async () => {
  const typist = console_.watch(await (await newPerson(browser)).newPage(), 'typist')
  const reader = console_.watch(await (await newPerson(browser)).newPage(), 'reader')
  await openDocument(typist, server.url, 'latency')
  await openDocument(reader, server.url, 'latency')
  await waitForStatus(typist, 'connected', true)
  await waitForStatus(reader, 'connected', true)
  await recordChanges(typist)
  await recordChanges(reader)
  await caretToEnd(typist)
  const typed = 'the quick brown fox jumps over the lazy dog '.repeat(5).slice(0, KEYSTROKES)
  await typist.keyboard.type(typed, { delay: 25 })
  await waitForText(reader, typed)

  const sent = new Map((await changeLog(typist)).map(([time, length]) => [length, time]))
  const received = new Map((await changeLog(reader)).map(([time, length]) => [length, time]))
  const latencies = [...sent].map(([length, time]) => received.get(length)! - time).sort((x, y) => x - y)
  expect(latencies).toHaveLength(KEYSTROKES)
  expect(latencies.every(Number.isFinite)).toBe(true)
  const result = {
    keystrokes: latencies.length,
    p50Ms: +percentile(latencies, 50).toFixed(2),
    p99Ms: +percentile(latencies, 99).toFixed(2),
    maxMs: +latencies[latencies.length - 1]!.toFixed(2)
  }
  console.log(`keystroke-to-other-page latency: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms over ${result.keystrokes} keystrokes`)
  const out = fileURLToPath(new URL('../test-results/', import.meta.url))
  await mkdir(out, { recursive: true })
  await writeFile(`${out}latency.json`, `${JSON.stringify(result, null, 2)}\n`)
  expect(console_.errors).toEqual([])
})
