/**
 * Whether storage is taking writes, for GET /readyz: failed after a write fails, healthy again
 * after the next write succeeds (a store that fails every write stays not ready).
 */
export class StorageHealth {
  private failing = false
  private failedAtMs = 0

  /** True unless the most recent write failed. */
  get ok(): boolean {
    return !this.failing
  }

  /** A write succeeded. */
  stored(): void {
    this.failing = false
  }

  /** A write failed. */
  failed(): void {
    this.failing = true
    this.failedAtMs = performance.now()
  }

  /** When (performance.now()) the most recent write failure happened; 0 if none did. */
  get lastFailure(): number {
    return this.failedAtMs
  }
}
