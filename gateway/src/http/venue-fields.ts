import type { z } from 'zod'
import { RISKY_VENUE_KINDS } from '../registry/types'
import type { VenueFields } from '../registry/venue-store'
import { venueGeometryToWgs84 } from './crs-edge'
import type { createVenueBody } from './schemas/venue-schemas'

/**
 * A new venue's stored fields from a create body (POST /venues, each row of /venues/import):
 * its geometry in WGS-84, the circle or the polygon with the other form's columns null, and
 * riskiness defaulted from its kind (DESIGN §4: sales, investment, travel).
 */
export function newVenueFields(body: z.output<typeof createVenueBody>): VenueFields {
  const b = venueGeometryToWgs84(body)
  return {
    name: b.name,
    kind: b.kind,
    risky: b.risky ?? RISKY_VENUE_KINDS.has(b.kind),
    address: b.address,
    ...(b.polygon !== undefined
      ? { polygon: b.polygon, lat: null, lon: null, radiusM: null }
      : { polygon: null, lat: b.lat ?? null, lon: b.lon ?? null, radiusM: b.radiusM ?? null }),
  }
}
