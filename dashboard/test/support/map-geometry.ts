import gcoord from 'gcoord'
import type { Page } from 'playwright-core'
import { PNG } from 'pngjs'

/**
 * Where the board's map puts a place, worked out here from what the map says of its view
 * (data-zoom, data-center on the map box) with the Web Mercator formulas slippy maps share —
 * independent of Leaflet, so a test checks Leaflet's and the board's arithmetic, not repeats it.
 * Centre and places are in the base map's datum (for GCJ-02 tiles: GCJ-02).
 */
export interface LatLon {
  lat: number
  lon: number
}
export interface Point {
  x: number
  y: number
}
export interface MapViewState {
  /** The map box on the page (CSS pixels). */
  box: { x: number; y: number; width: number; height: number }
  /** Where the view's centre is on the page: Leaflet takes the box's size in whole pixels. */
  middle: Point
  zoom: number
  centre: LatLon
}

/** A WGS-84 position (the API's) in GCJ-02 (AMap's, Tencent's tiles), by gcoord: not the board's own conversion. */
export function toGcj02(p: LatLon): LatLon {
  const [lon, lat] = gcoord.transform<[number, number]>([p.lon, p.lat], gcoord.WGS84, gcoord.GCJ02)
  return { lat, lon }
}

/** Pixels between two page positions. */
export function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y)
}

/** World pixels at a (fractional) zoom: 256 × 2^zoom across. */
export function worldPixel(p: LatLon, zoom: number): Point {
  const scale = 256 * 2 ** zoom
  const lat = (p.lat * Math.PI) / 180
  return { x: ((p.lon + 180) / 360) * scale, y: ((1 - Math.asinh(Math.tan(lat)) / Math.PI) / 2) * scale }
}

function fromWorldPixel(p: Point, zoom: number): LatLon {
  const scale = 256 * 2 ** zoom
  return { lat: (Math.atan(Math.sinh(Math.PI * (1 - (2 * p.y) / scale))) * 180) / Math.PI, lon: (p.x / scale) * 360 - 180 }
}

export async function mapViewOf(page: Page): Promise<MapViewState> {
  const view = page.getByTestId('map-view')
  const box = await view.boundingBox()
  const size = await view.evaluate((el) => ({ width: el.clientWidth, height: el.clientHeight }))
  const zoom = Number(await view.getAttribute('data-zoom'))
  const [lat, lon] = String(await view.getAttribute('data-center')).split(',').map(Number)
  if (box === null || lat === undefined || lon === undefined || !Number.isFinite(zoom)) throw new Error('the map says nothing of its view')
  return { box, middle: { x: box.x + size.width / 2, y: box.y + size.height / 2 }, zoom, centre: { lat, lon } }
}

/**
 * Degrees of longitude in `pixels` screen pixels at the view's zoom: Leaflet keeps the map on
 * whole pixels, so a place and its pixel agree to about one of them.
 */
export function degreesIn(view: MapViewState, pixels: number): number {
  return (pixels * 360) / (256 * 2 ** view.zoom)
}

/** The page position of a place in the view. */
export function screenOf(view: MapViewState, p: LatLon): Point {
  const c = worldPixel(view.centre, view.zoom)
  const q = worldPixel(p, view.zoom)
  return { x: view.middle.x + q.x - c.x, y: view.middle.y + q.y - c.y }
}

/** The place under a page position. */
export function placeAt(view: MapViewState, s: Point): LatLon {
  const c = worldPixel(view.centre, view.zoom)
  return fromWorldPixel({ x: c.x + s.x - view.middle.x, y: c.y + s.y - view.middle.y }, view.zoom)
}

/** The centre of a drawn shape's box (for a circle, its centre). */
export async function centreOf(page: Page, selector: string): Promise<Point> {
  const box = await page.locator(selector).first().boundingBox()
  if (box === null) throw new Error(`${selector} is not drawn`)
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 }
}

/** The colour of one pixel of the page as Chromium painted it (a 1×1 screenshot). */
export async function pixelAt(page: Page, p: Point): Promise<[number, number, number]> {
  const png = PNG.sync.read(await page.screenshot({ clip: { x: Math.round(p.x), y: Math.round(p.y), width: 1, height: 1 } }))
  return [png.data[0] ?? -1, png.data[1] ?? -1, png.data[2] ?? -1]
}

/** Drags with the mouse in small steps, as a hand does (Leaflet and geoman follow mousemove). */
export async function drag(page: Page, from: Point, to: Point): Promise<void> {
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps: 12 })
  await page.mouse.up()
}
