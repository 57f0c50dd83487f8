import { describe, expect, it } from 'vitest'
import { localDate, localIso, localMidnight, VirtualClock } from '../src/core/clock'
import { hashSeed, Rng } from '../src/core/prng'

describe('Rng', () => {
  const draw = (rng: Rng) => Array.from({ length: 50 }, () => rng.float())

  it('replays the same sequence from the same seed and label', () => {
    expect(draw(Rng.for(42, 'elder', 'e001'))).toEqual(draw(Rng.for(42, 'elder', 'e001')))
  })

  it('gives other sequences for another seed or label', () => {
    const base = draw(Rng.for(42, 'elder', 'e001'))
    expect(draw(Rng.for(43, 'elder', 'e001'))).not.toEqual(base)
    expect(draw(Rng.for(42, 'elder', 'e002'))).not.toEqual(base)
    // Labels are separated: ('ab','c') is not ('a','bc').
    expect(hashSeed(1, 'ab', 'c')).not.toBe(hashSeed(1, 'a', 'bc'))
  })

  it('keeps int() inside its inclusive bounds and reaches both ends', () => {
    const rng = new Rng(7)
    const seen = new Set<number>()
    for (let i = 0; i < 2000; i++) {
      const v = rng.int(3, 6)
      expect(v).toBeGreaterThanOrEqual(3)
      expect(v).toBeLessThanOrEqual(6)
      seen.add(v)
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6])
  })

  it('weighted() never picks a zero-weight item', () => {
    const rng = new Rng(9)
    for (let i = 0; i < 1000; i++) expect(rng.weighted([['a', 1], ['b', 0], ['c', 2]])).not.toBe('b')
  })
})

describe('VirtualClock', () => {
  it('runs event time at speed × wall time from the start', () => {
    let wall = 1_000
    const start = Date.parse('2026-11-01T00:00:00+08:00')
    const clock = new VirtualClock(start, 600, () => wall)
    expect(clock.now()).toBe(start)
    wall += 1_000 // one wall second is ten event minutes at ×600
    expect(clock.now()).toBe(start + 600_000)
    expect(clock.wallDelayUntil(start + 1_200_000)).toBe(1_000)
    expect(clock.wallDelayUntil(start)).toBe(0)
  })

  it('refuses a speed that is not a positive number', () => {
    expect(() => new VirtualClock(0, 0)).toThrow(/speed/)
    expect(() => new VirtualClock(0, Number.NaN)).toThrow(/speed/)
  })

  it('finds local (UTC+8) midnight and dates', () => {
    const t = Date.parse('2026-11-03T01:30:00+08:00') // still 2 November in UTC
    expect(localMidnight(t)).toBe(Date.parse('2026-11-03T00:00:00+08:00'))
    expect(localDate(t)).toBe('2026-11-03')
    expect(localIso(t)).toBe('2026-11-03T01:30:00+08:00')
  })
})
