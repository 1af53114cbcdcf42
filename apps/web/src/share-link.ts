/**
 * The share button: copies the document's link and says so, because a silent copy leaves people
 * unsure whether anything happened.
 */

/** Copy `url`, then show `done` on the button for a moment; on failure, show the link itself. */
export async function shareLink(button: HTMLButtonElement, url: string, showFallback: (url: string) => void): Promise<void> {
  const label = button.textContent
  try {
    await navigator.clipboard.writeText(url)
  } catch {
    // No clipboard access (an insecure origin, a denied permission): let people copy by hand.
    showFallback(url)
    return
  }
  button.textContent = 'Link copied ✓'
  button.classList.add('done')
  setTimeout(() => {
    button.textContent = label
    button.classList.remove('done')
  }, 2500)
}
