/**
 * The address a request comes from, for the limits kept per address (failed authentications,
 * connections). Behind a proxy every socket comes from the proxy, so one client could lock out
 * everyone; with `--trusted-proxies`, a request whose socket peer is a listed proxy is counted
 * under the right-most X-Forwarded-For entry that is not itself a trusted proxy (the address the
 * last trusted proxy saw). Entries further left are written by the client and never believed.
 */
import { BlockList, isIP } from 'node:net'

/** Why a `--trusted-proxies` entry is not usable, or its normalised form. */
export function normaliseProxy(entry: string): { ok: true; proxy: string } | { ok: false; error: string } {
  const value = entry.trim()
  const [address, bits, extra] = value.split('/')
  const family = isIP(address ?? '')
  const maxBits = family === 6 ? 128 : 32
  if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits))) {
    return { ok: false, error: `"${value}" is not an IP address or CIDR range like 10.0.0.0/8` }
  }
  return { ok: true, proxy: value }
}

/** Resolves the client address of a request from its socket peer and X-Forwarded-For. */
export class ClientAddresses {
  private readonly trusted = new BlockList()
  private readonly any: boolean

  /** `proxies` holds normalised entries (see {@link normaliseProxy}). */
  constructor(proxies: readonly string[]) {
    this.any = proxies.length > 0
    for (const proxy of proxies) {
      const [address, bits] = proxy.split('/') as [string, string | undefined]
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4'
      if (bits === undefined) this.trusted.addAddress(address, type)
      else this.trusted.addSubnet(address, Number(bits), type)
    }
  }

  /** The address to count the request under. */
  resolve(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    const address = plain(peer ?? 'unknown')
    if (!this.any || !this.isTrusted(address) || forwardedFor === undefined) return address
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((hop) => plain(hop.trim()))
    let client = address
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!
      // Garbage is not an address a trusted proxy wrote: count the request under the proxy.
      if (isIP(hop) === 0) return client
      client = hop
      if (!this.isTrusted(hop)) return hop
    }
    return client
  }

  /** Whether `peer` is a trusted proxy (whose X-Forwarded-For is believed). */
  trusts(peer: string | undefined): boolean {
    return this.any && this.isTrusted(plain(peer ?? ''))
  }

  private isTrusted(address: string): boolean {
    const family = isIP(address)
    return family !== 0 && this.trusted.check(address, family === 6 ? 'ipv6' : 'ipv4')
  }
}

// `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is 10.0.0.1.
function plain(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return mapped ? mapped[1]! : address
}
