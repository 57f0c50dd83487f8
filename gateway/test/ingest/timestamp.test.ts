import { describe, expect, it } from 'vitest'
import { decodeTs, parseIsoTs } from '../../src/ingest/timestamp'

describe('parseIsoTs', () => {
  const at = Date.UTC(2026, 10, 23, 0, 0, 0)
  it.each<[string, number]>([
    ['2026-11-23T08:00:00+08:00', at],
    ['2026-11-23T08:00:00+0800', at],
    ['2026-11-22T19:00:00-05:00', at],
    ['2026-11-23T00:00:00Z', at],
    ['2026-11-23T00:00Z', at],
    ['2026-11-23t00:00:00z', at],
    ['2026-11-23 00:00:00Z', at],
    ['2026-11-23T00:00:00.5Z', at + 500],
    ['2026-11-23T00:00:00.123456Z', at + 123],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('%s', (text, expected) => {
    expect(parseIsoTs(text)).toBe(expected)
  })

  it.each([
    '2026-11-23T08:00:00',
    '2026-11-23',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-23T24:00:00Z',
    '2026-11-23T23:60:00Z',
    '2026-11-23T00:00:00+15:00',
    ' 2026-11-23T00:00:00Z',
    'Mon, 23 Nov 2026 00:00:00 GMT',
    '1795392000000',
  ])('rejects %s', (text) => {
    expect(parseIsoTs(text)).toBeNaN()
  })
})

describe('decodeTs', () => {
  const now = Date.UTC(2026, 10, 23)
  it('passes epoch ms through and floors fractions', () => {
    expect(decodeTs(now, now, 0)).toBe(now)
    expect(decodeTs(now - 0.4, now, 0)).toBe(now - 1)
  })
  it('accepts 2015-01-01 exactly and rejects a millisecond before', () => {
    expect(decodeTs(Date.UTC(2015, 0, 1), now, 0)).toBe(Date.UTC(2015, 0, 1))
    expect(decodeTs(Date.UTC(2015, 0, 1) - 1, now, 0)).toMatchObject({ reason: 'bad_ts' })
  })
  it('rejects NaN-like values', () => {
    expect(decodeTs(Infinity, now, 0)).toMatchObject({ reason: 'bad_ts' })
    expect(decodeTs(-Infinity, now, 0)).toMatchObject({ reason: 'bad_ts' })
  })
  it('allows exactly the skew and no more', () => {
    expect(decodeTs(now + 1000, now, 1000)).toBe(now + 1000)
    expect(decodeTs(now + 1001, now, 1000)).toMatchObject({ reason: 'future_ts' })
  })
  it('wrong types are shape errors', () => {
    expect(decodeTs(undefined, now, 0)).toMatchObject({ reason: 'bad_shape', message: expect.stringMatching(/^ts: required/) })
    expect(decodeTs(null, now, 0)).toMatchObject({ reason: 'bad_shape' })
    expect(decodeTs({}, now, 0)).toMatchObject({ reason: 'bad_shape' })
  })
})
