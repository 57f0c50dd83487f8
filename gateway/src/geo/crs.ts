import { z } from 'zod'
import { CRS_NAMES, fromWgs84, toWgs84, type Crs } from '../../../contract/crs'

export { CRS_NAMES, fromWgs84, toWgs84, type Crs, type LatLon } from '../../../contract/crs'

/**
 * The gateway's side of the coordinate systems (the systems and the conversion are the
 * contract's, contract/crs.ts): `crs` as the API reads it, and polygons.
 */
/** `crs` in a body or a query: one of the three, default wgs84. */
export const crsSchema = z.enum(CRS_NAMES, { error: `one of ${CRS_NAMES.join(', ')}` }).default('wgs84')

/** A polygon vertex as the API writes it: [lat, lon]. */
export type Vertex = [number, number]

function convertPolygon(polygon: readonly Vertex[], from: Crs, to: Crs): Vertex[] {
  return polygon.map(([lat, lon]) => {
    const p = from === 'wgs84' ? fromWgs84(lat, lon, to) : toWgs84(lat, lon, from)
    return [p.lat, p.lon]
  })
}

export function polygonToWgs84(polygon: readonly Vertex[], crs: Crs): Vertex[] {
  return convertPolygon(polygon, crs, 'wgs84')
}

export function polygonFromWgs84(polygon: readonly Vertex[], crs: Crs): Vertex[] {
  return convertPolygon(polygon, 'wgs84', crs)
}
