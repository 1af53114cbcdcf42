/**
 * The update guards mirror Yjs internals, so Yjs must not change under them unnoticed.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { GUARDED_YJS_VERSION } from '../src/guard/yjs-version.js'

const require = createRequire(import.meta.url)
const installed = (JSON.parse(readFileSync(require.resolve('yjs/package.json'), 'utf8')) as { version: string }).version
const declared = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }).dependencies.yjs

describe('the Yjs the guards were written against', () => {
  const advice = `the update guards (src/guard/) mirror Yjs ${GUARDED_YJS_VERSION}: re-check them against the new Yjs (see src/guard/yjs-version.ts), then update GUARDED_YJS_VERSION`
  it('is the installed Yjs', () => {
    expect(installed, advice).toBe(GUARDED_YJS_VERSION)
  })
  it('is the exact version package.json asks for (no range)', () => {
    expect(declared, advice).toBe(GUARDED_YJS_VERSION)
  })
})
