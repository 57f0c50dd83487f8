import { z } from 'zod'
import { crsSchema, fromWgs84, polygonFromWgs84, polygonToWgs84, toWgs84, type Crs, type Vertex } from '../geo/crs'

/**
 * Coordinate systems at the HTTP edge (DESIGN §4 "Positions and coordinate systems"): request
 * bodies' positions are converted to WGS-84 before anything stores them, and answers are
 * converted from WGS-84 to what `?crs=` asks for just before they are sent. Storage, the rule
 * engine and notices never see anything but WGS-84.
 */

/** `?crs=` on every route that answers with positions. */
export const crsParam = crsSchema.describe(
  'the coordinate system of the positions in the answer: wgs84 (GPS, the default), gcj02 (AMap, Tencent) or bd09 (Baidu); no conversion outside mainland China',
)
export const crsQuery = z.object({ crs: crsParam })

type MaybePosition = { lat?: number | null | undefined; lon?: number | null | undefined }

/**
 * The record with its lat/lon in `crs`; a record without both numbers (a venue polygon, a
 * camera reading, a heart-rate-only reading) is returned as it is.
 */
export function positionIn<T extends object>(record: T, crs: Crs): T {
  const { lat, lon } = record as MaybePosition
  if (crs === 'wgs84' || typeof lat !== 'number' || typeof lon !== 'number') return record
  return { ...record, ...fromWgs84(lat, lon, crs) }
}

/** A venue (circle or polygon) in `crs`. */
export function venueIn<T extends { polygon: Vertex[] | null }>(venue: T, crs: Crs): T {
  if (crs === 'wgs84') return venue
  const moved = positionIn(venue, crs)
  return venue.polygon === null ? moved : { ...moved, polygon: polygonFromWgs84(venue.polygon, crs) }
}

/** Evidence is the rules' JSON (rules/src); positions in it (`lastFix`, `location`, `centre`) are depth 1–3. */
const MAX_EVIDENCE_DEPTH = 16

/** Every object in an alert's evidence that has numeric `lat` and `lon`, in `crs`. */
export function evidenceIn<T>(evidence: T, crs: Crs): T {
  return crs === 'wgs84' ? evidence : (convertNested(evidence, crs, 0) as T)
}

function convertNested(value: unknown, crs: Crs, depth: number): unknown {
  if (depth > MAX_EVIDENCE_DEPTH || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v) => convertNested(v, crs, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) out[key] = convertNested(v, crs, depth + 1)
  return positionIn(out, crs)
}

/** A home as a body gives it (`crs` default wgs84) → as stored. */
export function homeToWgs84(home: { lat: number; lon: number; radiusM?: number | undefined; crs: Crs }): { lat: number; lon: number; radiusM?: number | undefined } {
  const { crs, ...rest } = home
  return { ...rest, ...toWgs84(home.lat, home.lon, crs) }
}

type VenueGeometry = { lat?: number | undefined; lon?: number | undefined; polygon?: Vertex[] | undefined; crs: Crs }

/** A venue body's circle centre or polygon (in the body's top-level `crs`) → WGS-84, `crs` dropped. */
export function venueGeometryToWgs84<T extends VenueGeometry>(body: T): Omit<T, 'crs'> {
  const { crs, ...rest } = body
  if (crs === 'wgs84') return rest
  const out: Omit<T, 'crs'> = { ...rest }
  if (body.lat !== undefined && body.lon !== undefined) Object.assign(out, toWgs84(body.lat, body.lon, crs))
  if (body.polygon !== undefined) Object.assign(out, { polygon: polygonToWgs84(body.polygon, crs) })
  return out
}
