import { defineConfig } from 'vitest/config'

// The test drives the built page in Chromium against the real server: generous timeouts for a
// loaded 2-core machine.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 120_000 }
})
