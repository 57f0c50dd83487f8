/**
 * Small-distance geometry for a ~10 km town: an equirectangular approximation is within
 * centimetres of the haversine at this scale and much cheaper for thousands of fixes a second.
 */
export interface LatLon {
  lat: number
  lon: number
}

const EARTH_RADIUS_M = 6_371_000
const RAD = Math.PI / 180

/** The point `northM` metres north and `eastM` metres east of `from`. */
export function offsetMetres(from: LatLon, northM: number, eastM: number): LatLon {
  const lat = from.lat + (northM / EARTH_RADIUS_M) / RAD
  const lon = from.lon + (eastM / (EARTH_RADIUS_M * Math.cos(from.lat * RAD))) / RAD
  return { lat, lon }
}

export function distanceMetres(a: LatLon, b: LatLon): number {
  const x = (b.lon - a.lon) * RAD * Math.cos(((a.lat + b.lat) / 2) * RAD)
  const y = (b.lat - a.lat) * RAD
  return Math.sqrt(x * x + y * y) * EARTH_RADIUS_M
}

/** The point a fraction `f` of the way from a to b. */
export function interpolate(a: LatLon, b: LatLon, f: number): LatLon {
  return { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f }
}

/** Six decimals is ~0.1 m: finer digits only bloat every payload. */
export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6
}
