/**
 * The answer to an address that leads nowhere: a small page for people (a mistyped link, an old
 * bookmark) that says so and leads back home, and a plain line for programs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

// Self-contained (styles inline, which the content security policy allows; no script), light
// and dark like the web app, and nothing from the request echoed back.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not found · Quire</title>
<style>
:root { color-scheme: light dark; --fg: #1d2330; --muted: #545c6b; --bg: #fff; --accent: #3451b2 }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8ee; --muted: #a9b0bd; --bg: #15181f; --accent: #8fa6ff } }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, sans-serif }
main { max-width: 32rem; padding: 24px }
h1 { font-size: 1.5rem; margin: 0 0 8px }
p { margin: 0 0 12px; color: var(--muted) }
a { color: var(--accent); font-weight: 600 }
</style>
</head>
<body>
<main>
<h1>Page not found</h1>
<p>There is nothing at this address. Documents live at <code>/d/</code> followed by their name; check the link you were given.</p>
<p><a href="/">Go to the Quire home page</a></p>
</main>
</body>
</html>
`

/** Answer 404: the page when the client asks for HTML (a browser), a line of text otherwise. */
export function notFound(req: IncomingMessage, res: ServerResponse): void {
  const html = /\btext\/html\b/.test(req.headers.accept ?? '')
  res.writeHead(404, { 'Content-Type': html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(req.method === 'HEAD' ? undefined : html ? PAGE : 'not found\n')
}
