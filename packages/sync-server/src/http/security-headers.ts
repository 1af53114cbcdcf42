/**
 * Headers every HTTP answer carries, so the web app cannot be framed, sniffed into another type
 * or made to leak its URL (share links carry tokens) to other sites.
 */

/**
 * What the web app may load: its own scripts, styles (CodeMirror injects `<style>` elements,
 * hence 'unsafe-inline' for styles only), images and service worker, and WebSockets (the sync
 * server is the page's own host; `ws:`/`wss:` because older browsers do not count them as 'self').
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join('; ')

/** The headers, by name. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer'
}
