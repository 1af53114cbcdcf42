/**
 * Document names (rules N1–N5 in PROTOCOL.md). A name is the URL path after the first `/`,
 * percent-decoded once. The rule is deliberately narrow so that one string is one document
 * everywhere (auth, storage keys, metrics): no case folding, no normalisation to undo later.
 */

/** The longest document name accepted, in characters (N2). */
export const MAX_DOCUMENT_NAME_LENGTH = 256

const SEGMENT = /^[A-Za-z0-9_~.-]+$/

/** Why a raw path was refused, or the canonical name it stands for. */
export type DocumentNameResult = { ok: true; name: string } | { ok: false; reason: string }

/**
 * Check a decoded name against the rule: 1–256 characters from `A-Z a-z 0-9 _ ~ . -` in
 * `/`-separated segments, none empty, none `.` or `..` (N2, N3).
 */
export function checkDocumentName(name: string): DocumentNameResult {
  if (name.length === 0) return { ok: false, reason: 'document name is empty' }
  if (name.length > MAX_DOCUMENT_NAME_LENGTH) {
    return { ok: false, reason: `document name is longer than ${MAX_DOCUMENT_NAME_LENGTH} characters` }
  }
  for (const segment of name.split('/')) {
    if (segment === '') return { ok: false, reason: 'document name has an empty path segment (leading, trailing or double slash)' }
    if (segment === '.' || segment === '..') return { ok: false, reason: 'document name has a "." or ".." segment' }
    if (!SEGMENT.test(segment)) {
      return { ok: false, reason: 'document name may only contain letters, digits, "_", "~", ".", "-" and "/" between segments' }
    }
  }
  return { ok: true, name }
}

/**
 * Turn the path of a request (`/notes/today`, without the query) into a canonical document
 * name: strip the one leading `/`, percent-decode once (N1), then apply {@link checkDocumentName}.
 * Encoded slashes (`%2F`) are refused, so a name has exactly one spelling as a path (N4).
 */
export function parseDocumentPath(path: string): DocumentNameResult {
  if (!path.startsWith('/')) return { ok: false, reason: 'path must start with "/"' }
  const raw = path.slice(1)
  if (/%2f/i.test(raw)) return { ok: false, reason: 'document name may not contain an encoded "/" (%2F)' }
  let decoded: string
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    return { ok: false, reason: 'document name has invalid percent-encoding' }
  }
  return checkDocumentName(decoded)
}

/** The URL path for a document name; the inverse of {@link parseDocumentPath} for valid names. */
export function documentPath(name: string): string {
  return `/${name.split('/').map(encodeURIComponent).join('/')}`
}
