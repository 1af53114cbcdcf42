#!/usr/bin/env node
// The `quire` command. It runs the built server (pnpm build): the bundle, which starts faster,
// or the compiled modules where there is no bundle. Only `pnpm build` rebuilds the bundle, so
// `pnpm dev` runs dist/cli/main.js itself, which its `tsc --watch` keeps current.
import { existsSync } from 'node:fs'

const bundle = new URL('../dist/bundle/quire.js', import.meta.url)
const modules = new URL('../dist/cli/main.js', import.meta.url)
const entry = existsSync(bundle) ? bundle : modules
if (!existsSync(entry)) {
  process.stderr.write('quire: the server is not built yet; run "pnpm build" at the repository root first\n')
  process.exit(1)
}
await import(entry.href)
