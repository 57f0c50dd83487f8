import { toWgs84, type Crs } from '../geo/crs'

/**
 * DESIGN §4: a device may report GCJ-02 or BD-09 (its registration's `crs`). Its positions are
 * converted here, in the decode step every channel goes through — MQTT, HTTP ingest and the
 * watch port alike — so storage, the rule engine and notices only ever see WGS-84. A device
 * in WGS-84 (nearly all) costs one comparison.
 */
export function placeFix(target: { lat?: number; lon?: number }, lat: number, lon: number, crs: Crs | undefined): void {
  if (crs === undefined || crs === 'wgs84') {
    target.lat = lat
    target.lon = lon
    return
  }
  const p = toWgs84(lat, lon, crs)
  target.lat = p.lat
  target.lon = p.lon
}

/**
 * An event's extra fields are evidence as the device sent them, except a position in them
 * (top-level `lat`, `lon`): stored in WGS-84 like every other, so `?crs=` on the alert reads it right.
 */
export function detailInWgs84(detail: Record<string, unknown>, crs: Crs | undefined): void {
  if (crs === undefined || crs === 'wgs84') return
  const { lat, lon } = detail
  if (typeof lat === 'number' && typeof lon === 'number' && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) placeFix(detail, lat, lon, crs)
}
