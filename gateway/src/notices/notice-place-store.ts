import type { Queryable } from '../storage/db'
import type { VenueShape } from './notice-location'

/**
 * What a notice reads about places (storage layer): the venues a fix may lie in (the newest
 * stored watch fix comes with the notice context, notice-store.ts). Read inside the alert's
 * transaction, like the rest of the notice.
 */

/** Circle venues are at most 5 km across (venue-schemas.ts): a box of that much around the point finds them. */
const MAX_VENUE_RADIUS_DEG = 0.05

/**
 * Venues that may contain the point: circles whose centre is near it, and every polygon of the
 * tenant (polygons have no stored bounds; notices are rare — red alerts — so reading a county's
 * polygons once per notice is cheap). notice-location.ts decides which one contains it.
 */
export async function venuesAround(tx: Queryable, tenantId: string, lat: number, lon: number): Promise<VenueShape[]> {
  const lonSpan = MAX_VENUE_RADIUS_DEG / Math.max(Math.cos((lat * Math.PI) / 180), 0.01)
  return tx.query<VenueShape>(
    `SELECT id, name, kind, lat, lon, radius_m AS "radiusM", polygon FROM venues
     WHERE tenant_id = $1
       AND (polygon IS NOT NULL OR (lat BETWEEN $2 AND $3 AND lon BETWEEN $4 AND $5))`,
    [tenantId, lat - MAX_VENUE_RADIUS_DEG, lat + MAX_VENUE_RADIUS_DEG, lon - lonSpan, lon + lonSpan],
  )
}
