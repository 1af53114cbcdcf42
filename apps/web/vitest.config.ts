import { defineConfig } from 'vitest/config'

// Workspace packages resolve to their TypeScript source (the `source` export condition), so the
// Node-side tests never run against a stale build. Browser tests drive the built app through
// the real server: one file at a time, since each starts Chromium and a server, and generous
// timeouts for a loaded 2-core machine.
export default defineConfig({
  resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] } },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
