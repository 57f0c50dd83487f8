/**
 * The flat home check is a shortcut for distanceM(): it may only say "inside" where the
 * great-circle distance says so too (presence.ts relies on it to skip the haversine).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { distanceM, surelyWithinM } from '../src/geo'

describe('surelyWithinM', () => {
  it('property: never claims inside when the great-circle distance is beyond the limit', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -89, max: 89, noNaN: true }),
        fc.double({ min: -179, max: 179, noNaN: true }),
        fc.double({ min: -0.06, max: 0.06, noNaN: true }),
        fc.double({ min: -0.3, max: 0.3, noNaN: true }),
        fc.double({ min: 0, max: 6_000, noNaN: true }),
        (lat, lon, dLat, dLon, limitM) => {
          if (surelyWithinM(lat, lon, lat + dLat, lon + dLon, limitM)) expect(distanceM(lat, lon, lat + dLat, lon + dLon)).toBeLessThanOrEqual(limitM)
        },
      ),
      { numRuns: 20_000 },
    )
  })

  it('accepts the common case: a fix a few metres from home', () => {
    expect(surelyWithinM(30.25, 120.15, 30.2501, 120.1501, 100)).toBe(true)
    expect(surelyWithinM(30.25, 120.15, 30.26, 120.15, 100)).toBe(false)
    expect(surelyWithinM(30.25, 120.15, 30.25, 120.15, -1)).toBe(false)
  })
})
