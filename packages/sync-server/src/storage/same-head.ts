/**
 * The compare of a history write's compare-and-set (HS13), for the stores that check it in
 * process: whether the stored head is the one the writer expects (`null`: none; undefined: no check).
 */
export function sameHead(expected: Uint8Array | null | undefined, stored: Uint8Array | undefined): boolean {
  if (expected === undefined) return true
  if (expected === null || stored === undefined) return expected === null && stored === undefined
  return (
    Buffer.compare(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength), Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength)) ===
    0
  )
}
