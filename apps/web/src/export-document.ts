/**
 * Export: the document's text as a file download, exactly as it is, no conversion.
 */

/** The file name for `documentName` with `extension`: its last path segment. */
export function exportFileName(documentName: string, extension: 'md' | 'txt'): string {
  return `${documentName.split('/').pop()}.${extension}`
}

/** Offer `text` as a download named `fileName`. */
export function downloadText(text: string, fileName: string): void {
  const type = fileName.endsWith('.md') ? 'text/markdown' : 'text/plain'
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }))
  const link = Object.assign(document.createElement('a'), { href: url, download: fileName })
  link.click()
  // The download has started from the click; the object URL is only needed until then.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
