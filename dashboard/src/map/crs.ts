import { fromWgs84, toWgs84 as crsToWgs84, type LatLon } from '../../../contract/crs'
import type { MapCrs } from '../types'

export type { LatLon }

/**
 * The base map's datum (EG_MAP_CRS) against the API's WGS-84. AMap and Tencent tiles are drawn
 * in GCJ-02, Baidu's in BD-09, a few hundred metres off the GPS fixes the gateway stores: the
 * board moves every position onto the base map's datum before drawing it, and every shape an
 * operator draws back to WGS-84 before saving it, with the contract's conversion
 * (contract/crs.ts) — the one the API's `?crs=` uses, so both shift the same places.
 */
/** A WGS-84 position (the API's) where the base map draws it. */
export function toMapDatum(crs: MapCrs, p: LatLon): LatLon {
  return fromWgs84(p.lat, p.lon, crs)
}

/** A position on the base map (a click, a drawn vertex) as WGS-84, for the API. */
export function toWgs84(crs: MapCrs, p: LatLon): LatLon {
  return crsToWgs84(p.lat, p.lon, crs)
}

/** Six decimals of a degree are ~10 cm: more than a click or a dragged vertex can mean. */
export function roundCoord(v: number): number {
  return Math.round(v * 1e6) / 1e6
}
