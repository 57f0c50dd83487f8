import type { LookupAddress } from 'node:dns'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { guardedLookup, WebhookRefusedError } from '../../src/notices/webhook-dispatcher'
import { createWebhookPolicy, parseWebhookAllow } from '../../src/notices/webhook-policy'
import { INSIDE_TARGETS } from './inside-targets'

describe('webhook policy', () => {
  const strict = createWebhookPolicy(undefined)

  it.each(INSIDE_TARGETS)('refuses %s as written', (url) => {
    expect(strict.refuseUrl(url)).not.toBeNull()
  })

  it('names the kind of place in words', () => {
    expect(strict.refuseUrl('http://2130706433/')).toBe('loopback address')
    expect(strict.refuseUrl('http://169.254.169.254/')).toBe('link-local (cloud metadata) address')
    expect(strict.refuseUrl('http://10.1.2.3/')).toBe('private address')
    expect(strict.refuseUrl('http://[fd00::1]/')).toBe('unique-local address')
    expect(strict.refuseUrl('http://100.64.0.1/')).toBe('carrier-grade NAT (cloud metadata) address')
    expect(strict.refuseUrl('http://[::ffff:127.0.0.1]/')).toBe('loopback address')
    expect(strict.refuseUrl('http://localhost/')).toBe('loopback name')
  })

  it('accepts public addresses and names (names are checked again when resolved)', () => {
    for (const url of ['https://police.example.gov.cn/hook', 'http://8.8.8.8/hook', 'https://[2606:4700::1111]/hook', 'https://family.example/hook']) {
      expect(strict.refuseUrl(url), url).toBeNull()
    }
  })

  it('allows what EG_WEBHOOK_ALLOW lists: CIDRs, single addresses, host names', () => {
    const policy = createWebhookPolicy('127.0.0.1/32, ::1/128,10.20.0.0/16,192.168.1.7,police-gw.lan')
    expect(policy.refuseUrl('http://127.0.0.1:9090/police')).toBeNull()
    expect(policy.refuseUrl('http://2130706433:9090/police')).toBeNull()
    expect(policy.refuseUrl('http://[::1]:9090/police')).toBeNull()
    // IPv4-mapped IPv6 is the IPv4 address it carries, allowed or not by the IPv4 entries.
    expect(policy.refuseUrl('http://[::ffff:127.0.0.1]:9090/police')).toBeNull()
    expect(policy.refuseUrl('http://10.20.3.4/hook')).toBeNull()
    expect(policy.refuseUrl('http://192.168.1.7/hook')).toBeNull()
    expect(policy.refuseUrl('http://police-gw.lan/hook')).toBeNull()
    // Only those: the rest of the loopback range, other private ranges and names stay refused.
    expect(policy.refuseUrl('http://127.0.0.2/hook')).toBe('loopback address')
    expect(policy.refuseUrl('http://10.21.0.1/hook')).toBe('private address')
    expect(policy.refuseUrl('http://192.168.1.8/hook')).toBe('private address')
    expect(policy.refuseUrl('http://169.254.169.254/')).not.toBeNull()
    // An allowed host may resolve anywhere; other hosts only to allowed or public addresses.
    expect(policy.refuseAddress('police-gw.lan', '172.18.0.5')).toBeNull()
    expect(policy.refuseAddress('evil.example', '172.18.0.5')).toBe('private address')
    expect(policy.refuseAddress('evil.example', '10.20.9.9')).toBeNull()
    expect(policy.refuseAddress('evil.example', '::ffff:a14:909')).toBeNull()
  })

  it('parses EG_WEBHOOK_ALLOW strictly, and the config refuses a bad entry naming it', () => {
    expect(parseWebhookAllow(' police , 127.0.0.1/32 ,').hosts).toEqual(new Set(['police']))
    expect(() => parseWebhookAllow('10.0.0.0/33')).toThrow(/10\.0\.0\.0\/33/)
    expect(() => parseWebhookAllow('http://police/')).toThrow(/not a CIDR/)
    expect(() => parseWebhookAllow('police station')).toThrow(/neither a host name/)
    expect(loadConfig({ EG_WEBHOOK_ALLOW: '127.0.0.1/32,::1/128' }).EG_WEBHOOK_ALLOW).toBe('127.0.0.1/32,::1/128')
    expect(loadConfig({}).EG_WEBHOOK_ALLOW).toBeUndefined()
    expect(() => loadConfig({ EG_WEBHOOK_ALLOW: 'police,10.0.0.0/99' })).toThrow(/EG_WEBHOOK_ALLOW=.*10\.0\.0\.0\/99/)
  })
})

describe('guarded lookup (send time)', () => {
  type Answer = { err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }
  const lookup = (allow: string | undefined, addresses: LookupAddress[], options: { all?: boolean; family?: number } = {}) =>
    new Promise<Answer>((resolve) => {
      const fn = guardedLookup(createWebhookPolicy(allow), async () => addresses)
      fn('evil.example', options, (err, address, family) => resolve({ err, address, family }))
    })

  it('refuses a name that resolves to the loopback, naming the kind but not the address in its reason', async () => {
    const { err } = await lookup(undefined, [{ address: '127.0.0.1', family: 4 }])
    expect(err).toBeInstanceOf(WebhookRefusedError)
    expect((err as WebhookRefusedError).reason).toBe('evil.example resolves to a loopback address')
  })

  it('refuses when any address is inside, even if the first is public (a socket may try them all)', async () => {
    const { err } = await lookup(undefined, [{ address: '93.184.216.34', family: 4 }, { address: 'fd00::1', family: 6 }], { all: true })
    expect(err).toBeInstanceOf(WebhookRefusedError)
  })

  it('hands the checked addresses to the socket, in the shape it asked for', async () => {
    const public4 = { address: '93.184.216.34', family: 4 }
    const public6 = { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 }
    expect(await lookup(undefined, [public4, public6], { all: true })).toEqual({ err: null, address: [public4, public6], family: undefined })
    expect(await lookup(undefined, [public4, public6])).toEqual({ err: null, address: public4.address, family: 4 })
    expect(await lookup(undefined, [public4, public6], { family: 6 })).toEqual({ err: null, address: public6.address, family: 6 })
    expect(await lookup('127.0.0.1/32', [{ address: '127.0.0.1', family: 4 }])).toEqual({ err: null, address: '127.0.0.1', family: 4 })
  })

  it('passes resolver failures through', async () => {
    const { err } = await lookup(undefined, [])
    expect(err?.code).toBe('ENOTFOUND')
  })
})
