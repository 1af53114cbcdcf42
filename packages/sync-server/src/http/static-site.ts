/**
 * The built web app, served from its folder without walking it: each request resolves one
 * path, follows links only while they stay inside the folder (a link out of it, or a dangling
 * one, is a 404), and any error answers 500 instead of reaching the process.
 */
import { createReadStream, type Stats } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, sep } from 'node:path'
import { parseRequestTarget } from '../connection/admission.js'

/** Serves one request, or calls `notFound` when the folder has nothing at its path. */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse, notFound: () => void) => void

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8'
}

// Vite names built assets `name-<8+ character hash>.ext` under assets/: their content never
// changes under that name, so browsers may keep them for a year without asking again.
const HASHED_ASSET = /^\/assets\/(?:[^/]+\/)*[^/]+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$/

/** How long a browser may keep `path` without asking: hashed assets for good, the rest revalidated each time. */
export function cacheControlFor(path: string): string {
  return HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache'
}

/** A handler for the files under `dir`. */
export function staticSite(dir: string): StaticHandler {
  // Resolved once the first request comes, so a folder that moves or vanishes later is a 404, not a crash.
  let root: Promise<string> | undefined
  return (req, res, notFound) => {
    root ??= realpath(dir)
    const path = urlPath(req.url)
    const answer = path === undefined ? Promise.resolve(undefined) : root.then((base) => resolveInside(base, path))
    answer
      .then((file) => {
        if (!file) return notFound()
        send(req, res, file.path, file.stats, path!)
      })
      .catch(() => fail(res))
  }
}

// The decoded path, or undefined for one that cannot name a file in the folder.
function urlPath(url: string | undefined): string | undefined {
  const raw = parseRequestTarget(url ?? '')?.path
  if (raw === undefined) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    return undefined
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined
  // No dot segments, and no dotfiles (`.env`, `.git/`): a build folder may hold them, the app never links them.
  if (decoded.split('/').some((segment) => segment.startsWith('.'))) return undefined
  return decoded
}

async function resolveInside(base: string, path: string): Promise<{ path: string; stats: Stats } | undefined> {
  let real: string
  try {
    real = await realpath(join(base, path))
  } catch {
    return undefined // missing, or a link to nowhere
  }
  if (real !== base && !real.startsWith(base.endsWith(sep) ? base : base + sep)) return undefined // a link out of the folder
  const stats = await stat(real).catch(() => undefined)
  return stats?.isFile() ? { path: real, stats } : undefined
}

function send(req: IncomingMessage, res: ServerResponse, file: string, stats: Stats, path: string): void {
  const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`
  res.setHeader('Content-Type', TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream')
  res.setHeader('Cache-Control', cacheControlFor(path))
  res.setHeader('ETag', etag)
  res.setHeader('Last-Modified', stats.mtime.toUTCString())
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304)
    return void res.end()
  }
  res.setHeader('Content-Length', stats.size)
  if (req.method === 'HEAD') {
    res.writeHead(200)
    return void res.end()
  }
  const stream = createReadStream(file)
  stream.on('error', () => fail(res))
  stream.once('open', () => {
    res.writeHead(200)
    stream.pipe(res)
  })
  res.once('close', () => stream.destroy())
}

function fail(res: ServerResponse): void {
  if (res.headersSent) return void res.destroy()
  res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end('web app unavailable\n')
}
