/**
 * Which URLs may receive webhooks: absolute http or https URLs with a host. Checked when the
 * server starts, so a typo fails the start (exit 2), not every delivery.
 */

/** `entry` as a webhook receiver URL, or why it cannot be one. */
export function checkWebhookUrl(entry: string): { ok: true; url: string } | { ok: false; error: string } {
  const text = entry.trim()
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { ok: false, error: `"${text}" is not an absolute URL (http://host/path or https://host/path)` }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, error: `"${url.protocol}" URLs cannot receive webhooks; use http or https` }
  if (url.hostname === '') return { ok: false, error: `"${text}" has no host` }
  if (url.hash !== '') return { ok: false, error: `"${text}" has a #fragment, which is never sent` }
  return { ok: true, url: url.href }
}
