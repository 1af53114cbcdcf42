/**
 * The service worker: keeps the app shell (index.html and the hashed assets) so the app loads
 * without a network. Pages are fetched network-first (a fresh shell when online), assets
 * cache-first (their names change with their content). Nothing else is touched: the sync
 * socket and /api go straight to the server.
 */
/// <reference lib="webworker" />
declare const self: ServiceWorkerGlobalScope
declare const __BUILD_ID__: string

export {}

const CACHE = `quire-app-${__BUILD_ID__}`
const SHELL = '/'

interface ManifestChunk {
  file: string
  css?: string[]
  assets?: string[]
}

async function precache(): Promise<void> {
  const manifest = (await (await fetch('/asset-manifest.json', { cache: 'no-store' })).json()) as Record<string, ManifestChunk>
  const files = new Set<string>([SHELL, '/favicon.svg'])
  for (const chunk of Object.values(manifest)) {
    for (const file of [chunk.file, ...(chunk.css ?? []), ...(chunk.assets ?? [])]) if (file !== 'sw.js') files.add(`/${file}`)
  }
  await (await caches.open(CACHE)).addAll([...files])
}

async function page(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE)
  try {
    const response = await fetch(request)
    // Every page is the same index.html, so the latest one serves any path offline.
    if (response.ok) await cache.put(SHELL, response.clone())
    return response
  } catch {
    return (await cache.match(SHELL)) ?? Response.error()
  }
}

async function asset(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE)
  const cached = await cache.match(request)
  if (cached) return cached
  const response = await fetch(request)
  if (response.ok) await cache.put(request, response.clone())
  return response
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name)
      await self.clients.claim()
    })()
  )
})

self.addEventListener('fetch', (event) => {
  const { request } = event
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== self.location.origin) return
  if (request.mode === 'navigate') event.respondWith(page(request))
  else if (url.pathname.startsWith('/assets/') || url.pathname === '/favicon.svg') event.respondWith(asset(request))
})
