import { describe, expect, it } from 'vitest'
import { AuthThrottle } from '../../src/broker/throttle.js'

const opts = { maxFailures: 3, windowMs: 1_000, blockMs: 5_000 }

describe('AuthThrottle', () => {
  it('blocks a key on the Nth failure inside the window, until blockMs has passed', () => {
    const t = new AuthThrottle(opts)
    expect(t.recordFailure('k', 0)).toBe(false)
    expect(t.recordFailure('k', 100)).toBe(false)
    expect(t.isBlocked('k', 200)).toBe(false)
    expect(t.recordFailure('k', 200)).toBe(true)
    expect(t.isBlocked('k', 200)).toBe(true)
    expect(t.isBlocked('k', 5_199)).toBe(true)
    expect(t.isBlocked('k', 5_200)).toBe(false)
  })

  it('counts only failures inside the sliding window', () => {
    const t = new AuthThrottle(opts)
    t.recordFailure('k', 0)
    t.recordFailure('k', 500)
    // the failure at 0 has left the window by 1_001
    expect(t.recordFailure('k', 1_001)).toBe(false)
    expect(t.isBlocked('k', 1_001)).toBe(false)
    expect(t.recordFailure('k', 1_200)).toBe(true)
  })

  it('keeps keys independent', () => {
    const t = new AuthThrottle(opts)
    for (const at of [0, 1, 2]) t.recordFailure('addr:1.2.3.4', at)
    expect(t.isBlocked('addr:1.2.3.4', 3)).toBe(true)
    expect(t.isBlocked('addr:5.6.7.8', 3)).toBe(false)
    expect(t.isBlocked('id:w1', 3)).toBe(false)
  })

  it('a success forgives earlier failures but never lifts a running block', () => {
    const t = new AuthThrottle(opts)
    t.recordFailure('k', 0)
    t.recordFailure('k', 1)
    t.recordSuccess('k', 2)
    expect(t.recordFailure('k', 3)).toBe(false) // count restarted
    t.recordFailure('k', 4)
    expect(t.recordFailure('k', 5)).toBe(true)
    t.recordSuccess('k', 6)
    expect(t.isBlocked('k', 6)).toBe(true)
  })

  it('failures during a block do not extend it', () => {
    const t = new AuthThrottle(opts)
    for (const at of [0, 1, 2]) t.recordFailure('k', at)
    expect(t.recordFailure('k', 4_000)).toBe(false)
    expect(t.isBlocked('k', 5_002)).toBe(false)
  })

  it('forgets idle keys so memory stays bounded', () => {
    const t = new AuthThrottle(opts)
    for (let i = 0; i < 50; i++) t.recordFailure('id:' + i, 0)
    expect(t.size()).toBe(50)
    t.recordFailure('id:late', 10_000)
    expect(t.size()).toBe(1)
  })
})
