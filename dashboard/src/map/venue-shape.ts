import type { LatLon } from './crs'

/**
 * A venue's outline as the venues page edits it, in WGS-84 like the API: a circle (centre and
 * radius in metres) or a polygon of [lat, lon] vertices.
 */
export type VenueShape = { kind: 'circle'; centre: LatLon; radiusM: number } | { kind: 'polygon'; vertices: Array<[number, number]> }

/** Equal for equal outlines at the precision kept (six decimals, ~10 cm; whole metres). */
export function shapeKey(shape: VenueShape | null): string {
  if (shape === null) return ''
  const c = (v: number) => v.toFixed(6)
  return shape.kind === 'circle'
    ? `circle:${c(shape.centre.lat)},${c(shape.centre.lon)},${shape.radiusM.toFixed(0)}`
    : `polygon:${shape.vertices.map(([lat, lon]) => `${c(lat)},${c(lon)}`).join(';')}`
}
