/**
 * The one redaction for every request URL that reaches a log: tokens must never be written.
 * Each query parameter's name is read exactly as the server reads it (URLSearchParams, so
 * `%74oken` and `tok%65n` are `token`), and every value of a parameter named `token` is replaced.
 */

const SECRET_PARAMS = new Set(['token'])

/** `url` (a request target) with every token value replaced by `<redacted>`; the fragment is dropped. */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  const withoutFragment = url.split('#')[0]!
  const start = withoutFragment.indexOf('?')
  if (start === -1) return withoutFragment
  const query = withoutFragment
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const name = [...new URLSearchParams(pair).keys()][0]
      return name !== undefined && SECRET_PARAMS.has(name) ? `${pair.split('=')[0]}=<redacted>` : pair
    })
    .join('&')
  return `${withoutFragment.slice(0, start + 1)}${query}`
}
