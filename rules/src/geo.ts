/**
 * Distances on the WGS-84 sphere approximation. Pure arithmetic, no allocation: these run on
 * every location fix (DESIGN §6: a hot path that allocates little).
 */
export const EARTH_RADIUS_M = 6_371_008.8
const RAD = Math.PI / 180
/** Metres per degree of latitude (and of longitude at the equator). */
export const M_PER_DEG = EARTH_RADIUS_M * RAD

/** Great-circle (haversine) distance in metres. */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD
  const dLon = (lon2 - lon1) * RAD
  const s1 = Math.sin(dLat / 2)
  const s2 = Math.sin(dLon / 2)
  const h = s1 * s1 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * s2 * s2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/**
 * Whether (lat2, lon2) is certainly within `limitM` of (lat1, lon1), decided on a flat
 * (equirectangular) projection: no trigonometry but one cos, no square root. The flat distance
 * differs from the great-circle one by less than |Δlat|·tan|lat| (< 1 % for the ≤ 5 km, ≤ 80°
 * it accepts), so requiring it to be 2 % inside the limit never says "inside" where
 * distanceM() would not; false means "ask distanceM()", never "outside".
 */
export function surelyWithinM(lat1: number, lon1: number, lat2: number, lon2: number, limitM: number): boolean {
  if (!(limitM >= 0 && limitM <= 5_000) || lat1 > 80 || lat1 < -80) return false
  const north = (lat2 - lat1) * M_PER_DEG
  const east = (lon2 - lon1) * M_PER_DEG * Math.cos(lat1 * RAD)
  const sure = limitM * 0.98
  return north * north + east * east <= sure * sure
}

/** Degrees of longitude spanning `metres` at latitude `lat` (for bounding boxes). */
export function lonDegrees(metres: number, lat: number): number {
  const c = Math.cos(lat * RAD)
  return metres / (M_PER_DEG * Math.max(c, 0.01))
}

export function cosLat(lat: number): number {
  return Math.cos(lat * RAD)
}

/**
 * Ray-casting point-in-polygon on a flat [lat0, lon0, lat1, lon1, ...] ring. Venue polygons are
 * a few hundred metres across, where treating degrees as planar is exact enough.
 */
export function pointInRing(ring: Float64Array, lat: number, lon: number): boolean {
  let inside = false
  const n = ring.length
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const yi = ring[i]!
    const xi = ring[i + 1]!
    const yj = ring[j]!
    const xj = ring[j + 1]!
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}

/**
 * Distance in metres from a point to the ring's boundary, on a local equirectangular
 * projection (`kLon` = metres per degree of longitude at the venue). Used only for the exit
 * margin of an open visit, so one venue per fix at most.
 */
export function distanceToRingM(ring: Float64Array, lat: number, lon: number, kLon: number): number {
  let best = Infinity
  const n = ring.length
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const ax = (ring[j + 1]! - lon) * kLon
    const ay = (ring[j]! - lat) * M_PER_DEG
    const bx = (ring[i + 1]! - lon) * kLon
    const by = (ring[i]! - lat) * M_PER_DEG
    const dx = bx - ax
    const dy = by - ay
    const len2 = dx * dx + dy * dy
    let t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0
    t = t < 0 ? 0 : t > 1 ? 1 : t
    const px = ax + t * dx
    const py = ay + t * dy
    const d = Math.sqrt(px * px + py * py)
    if (d < best) best = d
  }
  return best
}
