import { defineConfig } from 'vitest/config'

// Resolve workspace packages to their TypeScript source (the `source` export condition),
// so tests never run against a stale build.
export default defineConfig({
  resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] } },
  test: { testTimeout: 60_000, hookTimeout: 60_000 }
})
