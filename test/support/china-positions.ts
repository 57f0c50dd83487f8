import fc from 'fast-check'
import { inMainlandChina } from '../../contract/china-region'

/** Degrees kept between a generated position and the region's edge (~3 km). */
const EDGE = 0.03

/**
 * Positions in mainland China at least ~3 km from the region's edge, for conversion properties:
 * the map shift (up to ~1.2 km for BD-09) must not carry a point across the border, where
 * conversion stops by design — a GCJ-02 pick 300 m inside the Vietnamese border (22, 106.665)
 * lands outside as WGS-84 and comes back unshifted.
 */
export const inlandChina = fc
  .record({ lat: fc.double({ min: 22, max: 41, noNaN: true }), lon: fc.double({ min: 100, max: 120, noNaN: true }) })
  .filter(({ lat, lon }) =>
    [-EDGE, 0, EDGE].every((dLat) => [-EDGE, 0, EDGE].every((dLon) => inMainlandChina(lat + dLat, lon + dLon))),
  )
