// One file (and lazy chunks) for `quire`: resolving and loading ~200 small modules at start-up
// costs more than running them. Native and optional modules stay outside.
import { defineConfig } from 'rolldown'

export default defineConfig({
  input: { quire: 'dist/cli/main.js' },
  platform: 'node',
  external: ['classic-level', 'bufferutil', 'utf-8-validate'],
  output: { dir: 'dist/bundle', format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' }
})
