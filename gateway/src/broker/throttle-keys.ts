import { isIPv4, isIPv6 } from 'node:net'

/**
 * The address a login throttle counts failures against. IPv4 addresses count one by one; an
 * IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a dual-stack socket reports) is its IPv4
 * address; an IPv6 address counts by its /64, because one subscriber or one cloud VM is handed
 * a whole /64 and could otherwise start every guess from a fresh address.
 */
export function throttleAddress(remoteAddress: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress)
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1]
  const withoutZone = remoteAddress.split('%')[0] ?? remoteAddress
  if (!isIPv6(withoutZone)) return remoteAddress
  return expandIPv6(withoutZone).slice(0, 4).join(':') + '::/64'
}

/** The eight 16-bit groups of a valid IPv6 address, `::` filled in, an embedded IPv4 tail as two groups. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::')
  const groups = (part: string): string[] => {
    if (part === '') return []
    return part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [g.toLowerCase().padStart(4, '0')]
      const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number)
      return [((a << 8) | b).toString(16).padStart(4, '0'), ((c << 8) | d).toString(16).padStart(4, '0')]
    })
  }
  const front = groups(head)
  if (tail === undefined) return front
  const back = groups(tail)
  return [...front, ...Array<string>(8 - front.length - back.length).fill('0000'), ...back]
}
