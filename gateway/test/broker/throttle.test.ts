import { describe, expect, it } from 'vitest'
import { AuthThrottle, type AuthGate } from '../../src/broker/throttle'
import { throttleAddress } from '../../src/broker/throttle-keys'

/** Three failures per pair, six per address; pairs wait 1 s doubling up to 5 s. */
const opts = { maxFailures: 3, windowMs: 1_000, blockMs: 5_000, addressMaxFailures: 6, addressMaxDelayMs: 2_000 }
const ATTACKER = '203.0.113.7'
const ELSEWHERE = '198.51.100.20'

const fail = (t: AuthThrottle, address: string, id: string, at: number, times = 1) => {
  for (let i = 0; i < times; i++) t.recordFailure(address, id, at)
}
const kind = (gate: AuthGate) => (gate.kind === 'refuse' ? `refuse:${gate.scope}` : gate.kind)

describe('AuthThrottle: per (address, id) pair', () => {
  it('makes a pair wait after N failures, 1 s then doubling per further failure, capped at blockMs', () => {
    const t = new AuthThrottle(opts)
    fail(t, ATTACKER, 'watch-1', 0, 2)
    expect(kind(t.gate(ATTACKER, 'watch-1', 0))).toBe('check')
    expect(t.recordFailure(ATTACKER, 'watch-1', 0).pairLockMs).toBe(1_000)
    expect(t.gate(ATTACKER, 'watch-1', 999)).toEqual({ kind: 'refuse', scope: 'pair', retryAfterMs: 1 })
    expect(kind(t.gate(ATTACKER, 'watch-1', 1_000))).toBe('check')
    expect(t.recordFailure(ATTACKER, 'watch-1', 1_000).pairLockMs).toBe(2_000)
    expect(t.recordFailure(ATTACKER, 'watch-1', 3_000).pairLockMs).toBe(4_000)
    expect(t.recordFailure(ATTACKER, 'watch-1', 7_000).pairLockMs).toBe(5_000)
  })

  it('never blocks an id from every address: the same id elsewhere, and other ids here, are checked at once', () => {
    const t = new AuthThrottle(opts)
    fail(t, ATTACKER, 'watch-1', 0, 5)
    expect(kind(t.gate(ATTACKER, 'watch-1', 10))).toBe('refuse:pair')
    expect(kind(t.gate(ELSEWHERE, 'watch-1', 10))).toBe('check')
    expect(kind(t.gate(ATTACKER, 'cam-2', 10))).toBe('check')
  })

  it('forgets a pair after its longest wait plus the window of quiet, and a success forgives it at once', () => {
    const t = new AuthThrottle(opts)
    fail(t, ATTACKER, 'watch-1', 0, 2)
    // 2 failures, quiet for blockMs + windowMs: the next failure is the first again.
    expect(t.recordFailure(ATTACKER, 'watch-1', 6_001).pairFailures).toBe(1)
    t.recordSuccess(ATTACKER, 'watch-1', 6_002)
    expect(t.recordFailure(ATTACKER, 'watch-1', 6_003).pairFailures).toBe(1)
  })
})

describe('AuthThrottle: per address', () => {
  it('delays ids new to a hot address (growing), lets ids that logged in from it through, never refuses the right secret outright', () => {
    const t = new AuthThrottle(opts)
    t.recordSuccess(ATTACKER, 'known-watch', 0) // a device behind the same NAT, seen before
    for (let i = 0; i < 5; i++) t.recordFailure(ATTACKER, `guess-${i}`, 0)
    expect(kind(t.gate(ATTACKER, 'new-watch', 0))).toBe('check')
    expect(t.recordFailure(ATTACKER, 'guess-5', 0).addressTurnedHot).toBe(true)
    const first = t.gate(ATTACKER, 'new-watch', 1)
    expect(first).toMatchObject({ kind: 'delay', scope: 'address', delayMs: 250 })
    if (first.kind === 'delay') first.release()
    fail(t, ATTACKER, 'guess-6', 2)
    expect(t.gate(ATTACKER, 'new-watch', 3)).toMatchObject({ kind: 'delay', delayMs: 500 })
    fail(t, ATTACKER, 'guess-7', 4, 10)
    expect(t.gate(ATTACKER, 'other-watch', 5)).toMatchObject({ kind: 'delay', delayMs: 2_000 })
    expect(kind(t.gate(ATTACKER, 'known-watch', 5))).toBe('check')
    expect(kind(t.gate(ELSEWHERE, 'new-watch', 5))).toBe('check')
  })

  it('refuses only when 16 delayed attempts of the address are already waiting, and frees a slot on release', () => {
    const t = new AuthThrottle(opts)
    for (let i = 0; i < 6; i++) t.recordFailure(ATTACKER, `guess-${i}`, 0)
    const waiting = Array.from({ length: 16 }, (_, i) => t.gate(ATTACKER, `new-${i}`, 1))
    expect(waiting.every((g) => g.kind === 'delay')).toBe(true)
    expect(kind(t.gate(ATTACKER, 'one-more', 1))).toBe('refuse:address')
    const slot = waiting[0]
    if (slot?.kind === 'delay') {
      slot.release()
      slot.release() // idempotent
    }
    expect(kind(t.gate(ATTACKER, 'one-more', 2))).toBe('delay')
    expect(kind(t.gate(ATTACKER, 'and-another', 2))).toBe('refuse:address')
  })

  it('a success forgives its pair, never the address', () => {
    const t = new AuthThrottle(opts)
    for (let i = 0; i < 6; i++) t.recordFailure(ATTACKER, `guess-${i}`, 0)
    t.recordSuccess(ATTACKER, 'attackers-own-device', 1)
    expect(kind(t.gate(ATTACKER, 'victim', 2))).toBe('delay')
  })

  it('cools down after a window without failures', () => {
    const t = new AuthThrottle(opts)
    for (let i = 0; i < 6; i++) t.recordFailure(ATTACKER, `guess-${i}`, 0)
    const delayed = t.gate(ATTACKER, 'new-watch', 1_000)
    expect(kind(delayed)).toBe('delay')
    if (delayed.kind === 'delay') delayed.release()
    expect(kind(t.gate(ATTACKER, 'new-watch-2', 1_001))).toBe('check')
  })
})

describe('AuthThrottle: bounded memory and address keys', () => {
  it('forgets idle state, and bounds it under a spray of random ids', () => {
    const t = new AuthThrottle({ ...opts, addressMaxFailures: 1_000_000 })
    for (let i = 0; i < 120_000; i++) t.recordFailure(ATTACKER, `random-${i}`, 0)
    expect(t.size().pairs).toBe(100_000)
    t.recordFailure(ELSEWHERE, 'late', 60_000)
    expect(t.size()).toEqual({ pairs: 1, addresses: 1 })
  })

  it('counts IPv4-mapped addresses as IPv4 and IPv6 addresses by their /64', () => {
    expect(throttleAddress('::ffff:10.0.0.9')).toBe('10.0.0.9')
    expect(throttleAddress('10.0.0.9')).toBe('10.0.0.9')
    expect(throttleAddress('2001:db8:1:2:aaaa::1')).toBe('2001:0db8:0001:0002::/64')
    expect(throttleAddress('2001:db8:1:2::ffff')).toBe(throttleAddress('2001:0db8:0001:0002:1:2:3:4'))
    expect(throttleAddress('::1')).toBe('0000:0000:0000:0000::/64')
    expect(throttleAddress('fe80::1%eth0')).toBe('fe80:0000:0000:0000::/64')
    expect(throttleAddress('unknown')).toBe('unknown')
    const t = new AuthThrottle(opts)
    fail(t, '2001:db8:1:2::a', 'watch-1', 0, 3)
    expect(kind(t.gate('2001:db8:1:2::b', 'watch-1', 1))).toBe('refuse:pair')
  })
})
