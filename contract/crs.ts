import gcoord, { type CRSTypes } from 'gcoord'
import { inMainlandChina } from './china-region'

/**
 * Coordinate systems of positions (DESIGN §4 "Positions and coordinate systems"): GPS gives
 * WGS-84; Chinese map services give GCJ-02 (AMap, Tencent) or BD-09 (Baidu), a few hundred
 * metres off. The gateway stores and evaluates WGS-84 only: positions are converted where they
 * come in (request bodies, device intake) and, on request, where they go out (`?crs=`); the
 * board converts onto its base map's datum (EG_MAP_CRS). One conversion for all of them, so the
 * API and the map shift exactly the same places.
 *
 * The arithmetic is gcoord's; what it is applied to is decided here: only positions in
 * mainland China (china-region.ts) are shifted, because the offsets exist only there.
 */
export const CRS_NAMES = ['wgs84', 'gcj02', 'bd09'] as const
export type Crs = (typeof CRS_NAMES)[number]

export interface LatLon {
  lat: number
  lon: number
}

const GCOORD: Record<Crs, CRSTypes> = { wgs84: gcoord.WGS84, gcj02: gcoord.GCJ02, bd09: gcoord.BD09 }

/** gcoord takes and gives [lon, lat]; everything else in eldergate is lat before lon. */
function convert(lat: number, lon: number, from: Crs, to: Crs): LatLon {
  if (from === to || !inMainlandChina(lat, lon)) return { lat, lon }
  const [outLon, outLat] = gcoord.transform<[number, number]>([lon, lat], GCOORD[from], GCOORD[to])
  return { lat: outLat, lon: outLon }
}

/** A position given in `crs` as WGS-84 (what is stored and evaluated). */
export function toWgs84(lat: number, lon: number, crs: Crs): LatLon {
  return convert(lat, lon, crs, 'wgs84')
}

/** A stored WGS-84 position as `crs` (what a client asked to be answered in, or a base map draws in). */
export function fromWgs84(lat: number, lon: number, crs: Crs): LatLon {
  return convert(lat, lon, 'wgs84', crs)
}
