import { defineConfig } from 'vitest/config'

const conditions = ['source', 'module', 'node', 'import', 'default']

// Workspace packages resolve to their TypeScript source. Files run one at a time: many start
// real server processes, and the machine has two cores.
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { testTimeout: 120_000, hookTimeout: 60_000, fileParallelism: false, pool: 'forks' }
})
