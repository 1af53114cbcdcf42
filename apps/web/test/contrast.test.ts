/**
 * Muted text is small (13–14 px), so it needs WCAG AA's 4.5:1 against every background it sits
 * on, in light and dark mode. Read from style.css itself, so a colour change cannot slip by.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const css = readFileSync(new URL('../src/style.css', import.meta.url), 'utf8')
const darkStart = css.indexOf('@media (prefers-color-scheme: dark)')

function colours(block: string): Record<string, string> {
  return Object.fromEntries([...block.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6});/gi)].map(([, name, value]) => [name!, value!]))
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}

/** The WCAG contrast ratio of two colours. */
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

describe('muted text contrast', () => {
  const light = colours(css.slice(0, darkStart))
  const dark = { ...light, ...colours(css.slice(darkStart, css.indexOf('}', css.indexOf('}', darkStart) + 1))) }
  for (const [scheme, palette] of [
    ['light', light],
    ['dark', dark]
  ] as const) {
    for (const background of ['bg', 'surface', 'surface-strong']) {
      it(`--muted on --${background} is at least 4.5:1 (${scheme})`, () => {
        expect(contrast(palette.muted!, palette[background]!)).toBeGreaterThanOrEqual(4.5)
      })
    }
  }
})
