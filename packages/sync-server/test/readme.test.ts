/** The README's configuration table is the operator's contract: it must list every flag as the CLI defines it. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { serveFlags } from '../src/cli/flags.js'

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')

describe('README', () => {
  it.each(serveFlags.map((spec) => [spec.flag, spec]))('documents --%s with its environment variable', (_flag, spec) => {
    // Cells may be padded to align the table.
    expect(readme).toMatch(new RegExp(`\\| \`--${spec.flag}\` +\\| \`${spec.env}\` +\\|`))
  })
})
