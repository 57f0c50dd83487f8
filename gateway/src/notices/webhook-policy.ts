import ipaddr from 'ipaddr.js'

/**
 * Which addresses police and family webhooks may reach (DESIGN §4): a signed POST that an admin
 * or operator aims at the gateway's own loopback, the database next door or the cloud's
 * metadata service would let them act and read inside the network. Only public unicast
 * addresses are targets, unless `EG_WEBHOOK_ALLOW` names the host or a CIDR holding the address
 * (a police receiver on the operating centre's own network, the tests' 127.0.0.1).
 *
 * Two checks, because a name is not an address: `refuseUrl` when a URL is set and before every
 * POST (literal addresses in any spelling WHATWG URL accepts — `2130706433`, `0x7f000001`,
 * `0177.0.0.1`, `[::ffff:127.0.0.1]` all parse to the loopback — and names that mean loopback or
 * metadata by definition); `refuseAddress` for every address a name resolves to at send time,
 * the address then connected to (webhook-dispatcher.ts), so DNS rebinding gains nothing.
 */
export interface WebhookPolicy {
  /** Why this URL may not be a webhook target as written, or null. No DNS. */
  refuseUrl(url: string): string | null
  /** Why `host` may not be reached at this resolved address, or null. */
  refuseAddress(host: string, address: string): string | null
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number]

export interface WebhookAllowList {
  hosts: ReadonlySet<string>
  ranges: readonly Cidr[]
}

/** Names that are loopback (RFC 6761 `.localhost`) or a cloud metadata service wherever they resolve. */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback'])
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog'])

/** IPv4-compatible IPv6 (::a.b.c.d, deprecated): ipaddr.js calls it unicast, no network routes it publicly. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96')

// ipaddr.js range names, in words for lastError and 400 messages.
const RANGE_WORDS: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local (cloud metadata)',
  uniqueLocal: 'unique-local',
  carrierGradeNat: 'carrier-grade NAT (cloud metadata)',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/

/** Lower case, no trailing dot, no IPv6 brackets: how hosts are compared. */
export function normalizeHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  return bare.toLowerCase().replace(/\.$/, '')
}

/**
 * `EG_WEBHOOK_ALLOW`: comma-separated host names (exact, any address they resolve to), addresses
 * and CIDRs (`127.0.0.1/32`, `::1/128`, `10.20.0.0/16`). Throws naming the first bad entry.
 */
export function parseWebhookAllow(text: string | undefined): WebhookAllowList {
  const hosts = new Set<string>()
  const ranges: Cidr[] = []
  for (const raw of (text ?? '').split(',')) {
    const entry = raw.trim()
    if (entry === '') continue
    if (entry.includes('/')) {
      if (!ipaddr.isValidCIDR(entry)) throw new Error(`"${entry}" is not a CIDR such as 10.20.0.0/16`)
      ranges.push(ipaddr.parseCIDR(entry))
    } else if (ipaddr.isValid(normalizeHost(entry))) {
      const address = ipaddr.process(normalizeHost(entry))
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128])
    } else if (HOST_NAME.test(normalizeHost(entry))) {
      hosts.add(normalizeHost(entry))
    } else {
      throw new Error(`"${entry}" is neither a host name, an address nor a CIDR`)
    }
  }
  return { hosts, ranges }
}

function inRanges(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly Cidr[]): boolean {
  // ipaddr.js throws when the kinds differ: an IPv4 address is never in an IPv6 range here.
  return ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits))
}

/** Why an address is not a public unicast one, or null; IPv4-mapped IPv6 is judged as the IPv4 it is. */
export function nonPublicReason(text: string): string | null {
  if (!ipaddr.isValid(text)) return 'not an IP address'
  const address = ipaddr.process(text)
  if (address.kind() === 'ipv6' && address.match(IPV4_COMPATIBLE)) return 'IPv4-compatible IPv6 address'
  const range = address.range()
  if (range === 'unicast') return null
  return `${RANGE_WORDS[range] ?? 'non-public'} address`
}

export function createWebhookPolicy(allow: string | WebhookAllowList | undefined): WebhookPolicy {
  const list = typeof allow === 'object' ? allow : parseWebhookAllow(allow)

  function refuseAddress(host: string, address: string): string | null {
    if (list.hosts.has(normalizeHost(host))) return null
    const bare = normalizeHost(address)
    if (ipaddr.isValid(bare) && inRanges(ipaddr.process(bare), list.ranges)) return null
    return nonPublicReason(bare)
  }

  return {
    refuseAddress,
    refuseUrl(url) {
      let host: string
      try {
        const parsed = new URL(url)
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'not an http(s) URL'
        host = normalizeHost(parsed.hostname)
      } catch {
        return 'not a URL'
      }
      if (list.hosts.has(host)) return null
      if (ipaddr.isValid(host)) return refuseAddress(host, host)
      if (LOOPBACK_NAMES.has(host) || host.endsWith('.localhost')) return 'loopback name'
      if (METADATA_NAMES.has(host)) return 'cloud metadata name'
      return null
    },
  }
}
