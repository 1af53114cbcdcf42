#!/usr/bin/env node
// The `quire` command. It runs the built server (pnpm build), not the TypeScript source.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('quire: the server is not built yet; run "pnpm build" at the repository root first\n')
  process.exit(1)
}
await import(entry.href)
