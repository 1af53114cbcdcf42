/**
 * The server-wide bound on bytes waiting to be sent: handed to a socket but not yet taken by the
 * operating system. Each connection's own bound (maxBufferedBytes) caps one client; this one caps
 * them all together, so many clients that never read cannot exhaust memory between them. When it
 * is passed, the connections holding the most unsent bytes are picked to be closed.
 */

/** One connection's share of the budget. */
export interface SendAccount {
  /** Bytes handed over and not yet drained. */
  readonly unsent: number
}

interface Account extends SendAccount {
  unsent: number
  open: boolean
}

/** Bytes waiting in all sockets' send buffers, against a limit. */
export class SendBudget {
  private total = 0
  private readonly accounts = new Set<Account>()

  constructor(private readonly limit: number) {}

  /** Bytes waiting in all open accounts. */
  get waiting(): number {
    return this.total
  }

  /** Open an account for a new connection. */
  open(): SendAccount {
    const account: Account = { unsent: 0, open: true }
    this.accounts.add(account)
    return account
  }

  /**
   * Count `bytes` handed to `account`'s socket. Returns the accounts to close (the most unsent
   * first) to get back within the limit, already closed here so the caller closes each once;
   * empty while within it.
   */
  add(account: SendAccount, bytes: number): SendAccount[] {
    const own = account as Account
    if (!own.open) return []
    own.unsent += bytes
    this.total += bytes
    if (this.total <= this.limit) return []
    const worst = [...this.accounts].sort((a, b) => b.unsent - a.unsent)
    const evicted: SendAccount[] = []
    for (const candidate of worst) {
      if (this.total <= this.limit) break
      this.close(candidate)
      evicted.push(candidate)
    }
    return evicted
  }

  /** `bytes` of `account` have left for the operating system. */
  drained(account: SendAccount, bytes: number): void {
    const own = account as Account
    if (!own.open) return
    own.unsent -= bytes
    this.total -= bytes
  }

  /** The connection is closing: what it still holds is freed with its socket, so it no longer counts. */
  close(account: SendAccount): void {
    const own = account as Account
    if (!own.open) return
    own.open = false
    this.total -= own.unsent
    this.accounts.delete(own)
  }
}
