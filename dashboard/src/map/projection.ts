/**
 * Web Mercator (EPSG:3857) as slippy-map tiles use it: a "world pixel" space 256 × 2^zoom wide,
 * x to the east, y to the south. Pure functions, so the map's arithmetic is unit-tested apart
 * from the browser. A view is a centre and a fractional zoom; the screen is the map's box.
 */
export const TILE_SIZE = 256
/** Web Mercator stops at ±85.0511° (the square world); points beyond are clamped. */
export const MAX_LAT = 85.05112878
export const MIN_ZOOM = 1
export const MAX_ZOOM = 19
const EARTH_CIRCUMFERENCE_M = 40_075_016.686

export interface LatLon {
  lat: number
  lon: number
}
export interface Point {
  x: number
  y: number
}
export interface Size {
  width: number
  height: number
}
export interface View {
  center: LatLon
  zoom: number
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v))

/** World pixels at `zoom` (0 → the whole world is one 256-pixel tile). */
export function project(p: LatLon, zoom: number): Point {
  const scale = TILE_SIZE * 2 ** zoom
  const lat = (clamp(p.lat, -MAX_LAT, MAX_LAT) * Math.PI) / 180
  return {
    x: ((p.lon + 180) / 360) * scale,
    y: ((1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2) * scale,
  }
}

export function unproject(p: Point, zoom: number): LatLon {
  const scale = TILE_SIZE * 2 ** zoom
  const n = Math.PI - (2 * Math.PI * p.y) / scale
  return { lat: (180 / Math.PI) * Math.atan(Math.sinh(n)), lon: (p.x / scale) * 360 - 180 }
}

/** Screen pixel (from the map box's top left) of a place. */
export function toScreen(view: View, size: Size, p: LatLon): Point {
  const c = project(view.center, view.zoom)
  const q = project(p, view.zoom)
  return { x: q.x - c.x + size.width / 2, y: q.y - c.y + size.height / 2 }
}

export function fromScreen(view: View, size: Size, s: Point): LatLon {
  const c = project(view.center, view.zoom)
  return unproject({ x: c.x + s.x - size.width / 2, y: c.y + s.y - size.height / 2 }, view.zoom)
}

/** Ground metres one screen pixel covers at a latitude (Mercator stretches towards the poles). */
export function metresPerPixel(lat: number, zoom: number): number {
  return (EARTH_CIRCUMFERENCE_M * Math.cos((clamp(lat, -MAX_LAT, MAX_LAT) * Math.PI) / 180)) / (TILE_SIZE * 2 ** zoom)
}

/** The view moved by a drag of (dx, dy) screen pixels: the ground follows the pointer. */
export function panBy(view: View, dx: number, dy: number): View {
  const c = project(view.center, view.zoom)
  const center = unproject({ x: c.x - dx, y: c.y - dy }, view.zoom)
  return { zoom: view.zoom, center: { lat: clamp(center.lat, -MAX_LAT, MAX_LAT), lon: center.lon } }
}

/** Zoom by `delta` levels keeping the place under screen point `at` where it is (wheel zoom). */
export function zoomAround(view: View, size: Size, at: Point, delta: number): View {
  const zoom = clamp(view.zoom + delta, MIN_ZOOM, MAX_ZOOM)
  const anchor = fromScreen(view, size, at)
  const moved = toScreen({ center: view.center, zoom }, size, anchor)
  return panBy({ center: view.center, zoom }, at.x - moved.x, at.y - moved.y)
}

/**
 * The view that shows every place (each with an optional radius in metres) inside the box
 * less `padding` pixels on each side; one place alone is shown at street level.
 */
export function fitView(places: ReadonlyArray<LatLon & { radiusM?: number }>, size: Size, padding = 40, maxZoom = 17): View | null {
  if (places.length === 0) return null
  let south = Infinity
  let north = -Infinity
  let west = Infinity
  let east = -Infinity
  for (const p of places) {
    // A radius widens the box by its length in degrees (fine at city scale).
    const dLat = (p.radiusM ?? 0) / 111_320
    const dLon = dLat / Math.max(0.01, Math.cos((p.lat * Math.PI) / 180))
    south = Math.min(south, p.lat - dLat)
    north = Math.max(north, p.lat + dLat)
    west = Math.min(west, p.lon - dLon)
    east = Math.max(east, p.lon + dLon)
  }
  const nw = project({ lat: north, lon: west }, 0)
  const se = project({ lat: south, lon: east }, 0)
  const w = Math.max(1, size.width - 2 * padding)
  const h = Math.max(1, size.height - 2 * padding)
  const spanX = Math.max(se.x - nw.x, 1e-9)
  const spanY = Math.max(se.y - nw.y, 1e-9)
  const zoom = clamp(Math.log2(Math.min(w / spanX, h / spanY)), MIN_ZOOM, maxZoom)
  return { zoom, center: unproject({ x: (nw.x + se.x) / 2, y: (nw.y + se.y) / 2 }, 0) }
}

export interface Tile {
  z: number
  x: number
  y: number
  /** Screen position and size of the tile's top-left corner (fractional zoom scales tiles). */
  left: number
  top: number
  size: number
}

/** The raster tiles covering the box at the view's zoom (integer level below it, scaled up). */
export function visibleTiles(view: View, size: Size): Tile[] {
  const z = Math.floor(view.zoom)
  const scale = 2 ** (view.zoom - z)
  const px = TILE_SIZE * scale
  const c = project(view.center, view.zoom)
  const originX = c.x - size.width / 2
  const originY = c.y - size.height / 2
  const count = 2 ** z
  const tiles: Tile[] = []
  for (let ty = Math.floor(originY / px); ty <= Math.floor((originY + size.height) / px); ty++) {
    if (ty < 0 || ty >= count) continue
    for (let tx = Math.floor(originX / px); tx <= Math.floor((originX + size.width) / px); tx++) {
      // x wraps around the antimeridian; y does not.
      tiles.push({ z, x: ((tx % count) + count) % count, y: ty, left: tx * px - originX, top: ty * px - originY, size: px })
    }
  }
  return tiles
}

/** `https://tiles.example/{z}/{x}/{y}.png` → the address of one tile ({s} → a subdomain). */
export function tileUrl(template: string, tile: Pick<Tile, 'z' | 'x' | 'y'>): string {
  const sub = 'abc'[(tile.x + tile.y) % 3] ?? 'a'
  return template.replace('{z}', String(tile.z)).replace('{x}', String(tile.x)).replace('{y}', String(tile.y)).replace('{s}', sub)
}

const ROUND_DISTANCES = [20_000, 10_000, 5_000, 2_000, 1_000, 500, 200, 100, 50, 20, 10, 5]

/** The longest round distance (20 km, 10 km, 5 km … 5 m) not over `maxMetres`: a scale bar's length. */
export function roundDistance(maxMetres: number): number {
  return ROUND_DISTANCES.find((m) => m <= maxMetres) ?? ROUND_DISTANCES[ROUND_DISTANCES.length - 1] ?? 5
}

export function formatDistance(metres: number): string {
  return metres >= 1000 ? `${metres / 1000} km` : `${metres} m`
}
