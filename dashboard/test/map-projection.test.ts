import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  fitView,
  formatDistance,
  fromScreen,
  metresPerPixel,
  panBy,
  project,
  roundDistance,
  tileUrl,
  toScreen,
  unproject,
  visibleTiles,
  zoomAround,
  type View,
} from '../src/map/projection'

const size = { width: 1200, height: 800 }
const shanghai = { lat: 31.23, lon: 121.47 }
const lat = fc.double({ min: -85, max: 85, noNaN: true })
const lon = fc.double({ min: -179.999, max: 179.999, noNaN: true })
const zoom = fc.double({ min: 1, max: 19, noNaN: true })

/** The OpenStreetMap wiki's tile formula (asinh form), independent of project()'s log/tan form. */
function osmTile(p: { lat: number; lon: number }, z: number): { x: number; y: number } {
  const n = 2 ** z
  const rad = (p.lat * Math.PI) / 180
  return { x: Math.floor(((p.lon + 180) / 360) * n), y: Math.floor(((1 - Math.asinh(Math.tan(rad)) / Math.PI) / 2) * n) }
}

describe('Web Mercator projection', () => {
  it('puts (0, 0) in the middle of the zoom-0 world and the corners at its edges', () => {
    expect(project({ lat: 0, lon: 0 }, 0)).toEqual({ x: 128, y: 128 })
    const nw = project({ lat: 85.05112878, lon: -180 }, 0)
    expect(nw.x).toBeCloseTo(0, 6)
    expect(nw.y).toBeCloseTo(0, 3)
    // Beyond the Mercator limit points are clamped, not sent to infinity.
    expect(Number.isFinite(project({ lat: 90, lon: 0 }, 3).y)).toBe(true)
  })

  it('agrees with the slippy-map tile numbers (Shanghai at z12 is tile 3430/1673)', () => {
    const p = project(shanghai, 12)
    expect({ x: Math.floor(p.x / 256), y: Math.floor(p.y / 256) }).toEqual({ x: 3430, y: 1673 })
    fc.assert(
      fc.property(lat, lon, fc.integer({ min: 0, max: 18 }), (la, lo, z) => {
        const q = project({ lat: la, lon: lo }, z)
        const expected = osmTile({ lat: la, lon: lo }, z)
        // Points exactly on a tile edge may round either way in floating point.
        expect(Math.abs(Math.floor(q.x / 256) - expected.x)).toBeLessThanOrEqual(1)
        expect(Math.abs(Math.floor(q.y / 256) - expected.y)).toBeLessThanOrEqual(1)
      }),
    )
  })

  it('unproject inverts project, and fromScreen inverts toScreen', () => {
    fc.assert(
      fc.property(lat, lon, zoom, (la, lo, z) => {
        const back = unproject(project({ lat: la, lon: lo }, z), z)
        expect(back.lat).toBeCloseTo(la, 7)
        expect(back.lon).toBeCloseTo(lo, 7)
      }),
    )
    fc.assert(
      // From zoom 3 the world (2048 px) is taller than the box; above and below the world there is no place.
      fc.property(fc.double({ min: 0, max: 1200, noNaN: true }), fc.double({ min: 0, max: 800, noNaN: true }), fc.double({ min: 3, max: 19, noNaN: true }), (x, y, z) => {
        const view: View = { center: shanghai, zoom: z }
        const s = toScreen(view, size, fromScreen(view, size, { x, y }))
        expect(s.x).toBeCloseTo(x, 4)
        expect(s.y).toBeCloseTo(y, 4)
      }),
    )
  })

  it('draws the view centre in the middle of the box, north up and east right', () => {
    const view: View = { center: shanghai, zoom: 14 }
    expect(toScreen(view, size, shanghai)).toEqual({ x: 600, y: 400 })
    const ne = toScreen(view, size, { lat: shanghai.lat + 0.01, lon: shanghai.lon + 0.01 })
    expect(ne.x).toBeGreaterThan(600)
    expect(ne.y).toBeLessThan(400)
  })

  it('measures metres per pixel (156 km at the equator at z0, half per level, cos(lat) smaller north)', () => {
    expect(metresPerPixel(0, 0)).toBeCloseTo(156_543.03, 1)
    expect(metresPerPixel(0, 10)).toBeCloseTo(156_543.03 / 1024, 3)
    expect(metresPerPixel(60, 10)).toBeCloseTo(156_543.03 / 2048, 3)
    // 100 m east of Shanghai at z16 is 100 / metresPerPixel pixels to the right.
    const view: View = { center: shanghai, zoom: 16 }
    const east = toScreen(view, size, { lat: shanghai.lat, lon: shanghai.lon + 100 / (111_320 * Math.cos((shanghai.lat * Math.PI) / 180)) })
    expect(east.x - 600).toBeCloseTo(100 / metresPerPixel(shanghai.lat, 16), 0)
  })

  it('pans so the ground follows the pointer, and zooms around the pointer', () => {
    const view: View = { center: shanghai, zoom: 13 }
    const place = fromScreen(view, size, { x: 300, y: 200 })
    const panned = panBy(view, 50, -30)
    const moved = toScreen(panned, size, place)
    expect(moved.x).toBeCloseTo(350, 6)
    expect(moved.y).toBeCloseTo(170, 6)

    fc.assert(
      fc.property(fc.double({ min: 0, max: 1200, noNaN: true }), fc.double({ min: 0, max: 800, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), (x, y, delta) => {
        const anchor = fromScreen(view, size, { x, y })
        const zoomed = zoomAround(view, size, { x, y }, delta)
        expect(zoomed.zoom).toBeCloseTo(13 + delta, 9)
        const s = toScreen(zoomed, size, anchor)
        expect(s.x).toBeCloseTo(x, 4)
        expect(s.y).toBeCloseTo(y, 4)
      }),
    )
    // Zoom stays within the tile pyramid.
    expect(zoomAround({ center: shanghai, zoom: 18.8 }, size, { x: 0, y: 0 }, 1).zoom).toBe(19)
    expect(zoomAround({ center: shanghai, zoom: 1.2 }, size, { x: 0, y: 0 }, -1).zoom).toBe(1)
  })

  it('fits every place (with its radius) inside the box less the padding', () => {
    const places = [
      { lat: 31.2, lon: 121.4, radiusM: 500 },
      { lat: 31.3, lon: 121.55 },
      { lat: 31.25, lon: 121.47, radiusM: 100 },
    ]
    const view = fitView(places, size, 40)
    expect(view).not.toBeNull()
    if (view === null) return
    for (const p of places) {
      const s = toScreen(view, size, p)
      const r = (p.radiusM ?? 0) / metresPerPixel(p.lat, view.zoom)
      expect(s.x - r).toBeGreaterThanOrEqual(40 - 1)
      expect(s.x + r).toBeLessThanOrEqual(1200 - 40 + 1)
      expect(s.y - r).toBeGreaterThanOrEqual(40 - 1)
      expect(s.y + r).toBeLessThanOrEqual(800 - 40 + 1)
    }
    // Tight: one side of the box is (nearly) filled.
    const xs = places.map((p) => toScreen(view, size, p).x)
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(600)
    // One place alone: street level, not zoom 19 on a single point.
    expect(fitView([shanghai], size)?.zoom).toBe(17)
    expect(fitView([], size)).toBeNull()
  })

  it('lists the tiles that cover the box, wrapping x across the antimeridian', () => {
    const view: View = { center: shanghai, zoom: 12.5 }
    const tiles = visibleTiles(view, size)
    const tileSize = 256 * 2 ** 0.5
    expect(tiles.every((t) => t.z === 12 && Math.abs(t.size - tileSize) < 1e-9)).toBe(true)
    // Every corner of the box lies on some tile.
    for (const [x, y] of [
      [0, 0],
      [1199, 0],
      [0, 799],
      [1199, 799],
      [600, 400],
    ] as const) {
      expect(tiles.some((t) => x >= t.left && x < t.left + t.size && y >= t.top && y < t.top + t.size)).toBe(true)
    }
    expect(tiles.length).toBeLessThanOrEqual(Math.ceil(1200 / tileSize + 1) * Math.ceil(800 / tileSize + 1))
    const centreTile = tiles.find((t) => t.left <= 600 && 600 < t.left + t.size && t.top <= 400 && 400 < t.top + t.size)
    expect(centreTile).toMatchObject(osmTile(shanghai, 12))

    const wrapped = visibleTiles({ center: { lat: 0, lon: 179.99 }, zoom: 3 }, size)
    expect(wrapped.every((t) => t.x >= 0 && t.x < 8)).toBe(true)
    expect(wrapped.some((t) => t.x === 0)).toBe(true)
  })

  it('fills a tile URL template', () => {
    expect(tileUrl('https://tiles.example/{z}/{x}/{y}.png', { z: 12, x: 3430, y: 1673 })).toBe('https://tiles.example/12/3430/1673.png')
    expect(tileUrl('https://{s}.tiles.example/{z}/{y}/{x}', { z: 1, x: 1, y: 0 })).toBe('https://b.tiles.example/1/0/1')
  })

  it('chooses round scale-bar lengths', () => {
    expect(roundDistance(1_234)).toBe(1_000)
    expect(roundDistance(499)).toBe(200)
    expect(roundDistance(3)).toBe(5)
    expect(formatDistance(2_000)).toBe('2 km')
    expect(formatDistance(500)).toBe('500 m')
  })
})
