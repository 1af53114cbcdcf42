import { fileURLToPath } from 'node:url'
import { defaultClientConditions, defineConfig } from 'vite'

// The dev sync server (`pnpm dev` starts one on 1234 through turbo). Documents' sockets go
// through `/sync`, because a document name may be any path, including Vite's own.
const syncServer = process.env.QUIRE_DEV_SERVER ?? 'http://127.0.0.1:1234'

export default defineConfig({
  // Workspace packages resolve to their TypeScript source, so editing them hot-reloads the app.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  define: { __BUILD_ID__: JSON.stringify(Date.now().toString(36)) },
  server: {
    proxy: {
      '/sync': { target: syncServer, ws: true, rewrite: (path) => path.replace(/^\/sync/, '') },
      '/api': syncServer,
      '/healthz': syncServer
    }
  },
  build: {
    target: 'es2022',
    manifest: 'asset-manifest.json',
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        sw: fileURLToPath(new URL('src/service-worker.ts', import.meta.url))
      },
      // The service worker needs a fixed name at the root: its scope is its directory.
      output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') }
    }
  }
})
