import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { inlandChina } from '../../test/support/china-positions'
import { roundCoord, toMapDatum, toWgs84 } from '../src/map/crs'
import { shapeKey } from '../src/map/venue-shape'
import { bodyOf, EMPTY_DRAFT, shapeOfDraft, withShape } from '../src/pages/venue-draft'

/**
 * The board's datum conversions (map/crs.ts) and the venue draft's outline (pages/venue-draft.ts):
 * WGS-84 from the API onto a GCJ-02 / BD-09 base map and back, and a drawn outline into the
 * body the API takes.
 */
const shanghai = { lat: 31.2304, lon: 121.4737 }
const metres = (a: { lat: number; lon: number }, b: { lat: number; lon: number }) =>
  Math.hypot((a.lat - b.lat) * 111_320, (a.lon - b.lon) * 111_320 * Math.cos((a.lat * Math.PI) / 180))

describe('base map datums', () => {
  it('leaves positions alone on a WGS-84 base map (OpenStreetMap, Tianditu)', () => {
    expect(toMapDatum('wgs84', shanghai)).toEqual(shanghai)
    expect(toWgs84('wgs84', shanghai)).toEqual(shanghai)
  })

  it('moves Shanghai some hundreds of metres for GCJ-02 and BD-09, east and (for GCJ-02) south', () => {
    const gcj = toMapDatum('gcj02', shanghai)
    expect(metres(gcj, shanghai)).toBeGreaterThan(300)
    expect(metres(gcj, shanghai)).toBeLessThan(700)
    expect(gcj.lon).toBeGreaterThan(shanghai.lon)
    expect(gcj.lat).toBeLessThan(shanghai.lat)
    // BD-09 is GCJ-02 moved again (~1 km from WGS-84 here).
    const bd = toMapDatum('bd09', shanghai)
    expect(metres(bd, gcj)).toBeGreaterThan(500)
  })

  it('brings a position drawn on the base map back to WGS-84 within centimetres', () => {
    fc.assert(
      fc.property(inlandChina, fc.constantFrom('gcj02' as const, 'bd09' as const), (p, crs) => {
        expect(metres(toWgs84(crs, toMapDatum(crs, p)), p)).toBeLessThan(0.5)
      }),
    )
  })

  it('shifts nothing outside mainland China (Taipei, Seoul, Paris), as the gateway does', () => {
    for (const p of [
      { lat: 25.033, lon: 121.5654 },
      { lat: 37.5665, lon: 126.978 },
      { lat: 48.8566, lon: 2.3522 },
    ]) {
      expect(toMapDatum('gcj02', p)).toEqual(p)
      expect(toMapDatum('bd09', p)).toEqual(p)
      expect(toWgs84('bd09', p)).toEqual(p)
    }
  })

  it('rounds to six decimals (~10 cm)', () => {
    expect(roundCoord(31.23456789)).toBe(31.234568)
    expect(roundCoord(roundCoord(121.4737004))).toBe(roundCoord(121.4737004))
  })
})

describe('the venue draft outline', () => {
  it('keeps a drawn polygon as the body polygon, and a drawn circle as lat/lon/radiusM', () => {
    const polygon = withShape({ ...EMPTY_DRAFT, name: '讲座点' }, { kind: 'polygon', vertices: [[31.1234567, 121.1], [31.2, 121.2], [31.3, 121.15]] })
    expect(bodyOf(polygon)).toEqual({ name: '讲座点', kind: 'sales', address: null, polygon: [[31.123457, 121.1], [31.2, 121.2], [31.3, 121.15]] })
    expect(shapeOfDraft(polygon)?.kind).toBe('polygon')

    const circle = withShape(polygon, { kind: 'circle', centre: { lat: 31.22, lon: 121.46 }, radiusM: 119.6 })
    expect(bodyOf(circle)).toEqual({ name: '讲座点', kind: 'sales', address: null, lat: 31.22, lon: 121.46, radiusM: 120 })
    expect(shapeOfDraft(circle)).toEqual({ kind: 'circle', centre: { lat: 31.22, lon: 121.46 }, radiusM: 120 })
  })

  it('has no outline until there is a centre or three corners', () => {
    expect(shapeOfDraft(EMPTY_DRAFT)).toBeNull()
    expect(shapeOfDraft({ ...EMPTY_DRAFT, lat: '31.', lon: '' })).toBeNull()
    expect(shapeOfDraft({ ...EMPTY_DRAFT, lat: 'abc', lon: '121' })).toBeNull()
    expect(shapeOfDraft({ ...EMPTY_DRAFT, polygon: [[31, 121], [31.1, 121]] })).toBeNull()
  })

  it('keys an outline as the draft keeps it, so an edit coming back does not redraw it', () => {
    const drawn = { kind: 'circle' as const, centre: { lat: roundCoord(31.2300004), lon: roundCoord(121.4700006) }, radiusM: 80 }
    expect(shapeKey(shapeOfDraft(withShape(EMPTY_DRAFT, drawn)))).toBe(shapeKey(drawn))
    expect(shapeKey(null)).toBe('')
  })
})
