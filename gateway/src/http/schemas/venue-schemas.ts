import { z } from 'zod'
import { crsSchema } from '../../geo/crs'
import { VENUE_KINDS } from '../../registry/types'
import { crsParam } from '../crs-edge'
import { pageQuery } from '../pagination'
import { evenIfInvalid, latitude, longitude, optionalText, shortText } from './common'
import { page, timestamp } from './responses'

// A venue is a shop, an office, a pick-up point: 5 km is already generous, and a huge circle
// would mark every elder as "at the sales venue".
const radiusM = z.number().positive().max(5_000)
// Polygons drawn on a map; 1000 vertices is far beyond any building outline.
const polygon = z.array(z.tuple([latitude, longitude])).min(3, 'at least 3 points').max(1_000)

const geometryFields = {
  lat: latitude.optional(),
  lon: longitude.optional(),
  radiusM: radiusM.optional(),
  polygon: polygon.optional(),
  // DESIGN §4: positions picked on AMap or Baidu come in their datum; stored as WGS-84.
  crs: crsSchema.describe('the coordinate system of lat/lon or polygon: wgs84 (GPS, the default), gcj02 (AMap, Tencent), bd09 (Baidu)'),
}

type Geometry = { lat?: number | undefined; lon?: number | undefined; radiusM?: number | undefined; polygon?: unknown }

/**
 * DESIGN §4: `{lat, lon, radiusM}` or `{polygon}`. Checked here rather than with a zod union
 * so every missing or clashing field is named on its own path (a union reports one blob).
 */
function checkGeometry(required: boolean) {
  return (v: Geometry, ctx: z.RefinementCtx) => {
    const circleKeys = (['lat', 'lon', 'radiusM'] as const).filter((k) => v[k] !== undefined)
    if (v.polygon !== undefined) {
      for (const k of circleKeys) ctx.addIssue({ code: 'custom', path: [k], message: 'give either lat/lon/radiusM or polygon, not both' })
      return
    }
    if (!required && circleKeys.length === 0) return
    for (const k of ['lat', 'lon', 'radiusM'] as const) {
      if (v[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'required (or give polygon instead)' })
    }
  }
}

export const createVenueBody = z
  .object({
    name: shortText(200),
    kind: z.enum(VENUE_KINDS),
    // Defaults from kind (sales, investment, travel are risky); an explicit value overrides.
    risky: z.boolean().optional(),
    address: optionalText(300),
    ...geometryFields,
  })
  .superRefine(checkGeometry(true), evenIfInvalid)

export const patchVenueBody = z
  .object({
    name: shortText(200).optional(),
    kind: z.enum(VENUE_KINDS).optional(),
    risky: z.boolean().optional(),
    address: optionalText(300),
    ...geometryFields,
  })
  .superRefine(checkGeometry(false), evenIfInvalid)
  // `crs` (defaulted) only says how to read the geometry: on its own it changes nothing.
  .refine(({ crs: _crs, ...fields }) => Object.values(fields).some((x) => x !== undefined), 'nothing to change')

export const listVenuesQuery = pageQuery.extend({
  kind: z.enum(VENUE_KINDS).optional(),
  risky: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  crs: crsParam,
})

/** A venue as the API shows it: a circle (lat, lon, radiusM) or a polygon, the other form null. */
export const venueView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(VENUE_KINDS),
  risky: z.boolean(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  radiusM: z.number().nullable(),
  polygon: z.array(z.array(z.number()).length(2)).nullable().describe('[[lat, lon], ...]'),
  address: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
})

export const venuePage = page(venueView)
