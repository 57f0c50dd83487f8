import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { inMainlandChina } from '../../../contract/china-region'
import { inlandChina } from '../../../test/support/china-positions'
import { crsSchema, fromWgs84, polygonFromWgs84, polygonToWgs84, toWgs84, type Crs } from '../../src/geo/crs'

/** Metres between two nearby positions (equirectangular: exact enough below a few km). */
function metres(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const k = 111_320
  const dy = (a.lat - b.lat) * k
  const dx = (a.lon - b.lon) * k * Math.cos((a.lat * Math.PI) / 180)
  return Math.hypot(dx, dy)
}

/**
 * Published reference points, [lon, lat] as their sources write them:
 * - Zhengzhou and Shenyang from gcoord's own fixtures (test/fixtures/china-cities.json: the
 *   same place read off each map service);
 * - Beijing from wandergis/coordtransform, the conversion most Chinese code copies (its test
 *   values are also hutool's CoordinateUtilTest).
 */
const CITIES = [
  { name: 'Zhengzhou', wgs84: [113.6192856, 34.7478004], gcj02: [113.6253334, 34.7466173], bd09: [113.6317519, 34.7528605] },
  { name: 'Shenyang', wgs84: [123.4253306, 41.8032629], gcj02: [123.4314787, 41.8057023], bd09: [123.438095, 41.8114013] },
] as const
const BEIJING = { wgs84: [116.404, 39.915], gcj02: [116.41024449916938, 39.91640428150164] } as const

const at = ([lon, lat]: readonly [number, number]) => ({ lat, lon })

describe('coordinate systems (geo/crs.ts)', () => {
  it.each(CITIES)('converts $name to and from GCJ-02 and BD-09 as the map services place it (within 2 m)', (city) => {
    const wgs = at(city.wgs84)
    for (const crs of ['gcj02', 'bd09'] as const) {
      const theirs = at(city[crs])
      // The fixtures are rounded to 1e-7 degrees (~1 cm); the services' own rounding is coarser.
      expect(metres(fromWgs84(wgs.lat, wgs.lon, crs), theirs)).toBeLessThan(2)
      expect(metres(toWgs84(theirs.lat, theirs.lon, crs), wgs)).toBeLessThan(2)
    }
  })

  it("gives coordtransform's WGS-84 → GCJ-02 value for Beijing (to 1e-9 degrees: the same formula)", () => {
    const gcj = fromWgs84(BEIJING.wgs84[1], BEIJING.wgs84[0], 'gcj02')
    expect(gcj.lat).toBeCloseTo(BEIJING.gcj02[1], 9)
    expect(gcj.lon).toBeCloseTo(BEIJING.gcj02[0], 9)
  })

  it('shifts a Chinese position by hundreds of metres (the reason for all this)', () => {
    const luoyang = { lat: 34.61, lon: 112.42 }
    const gcj = fromWgs84(luoyang.lat, luoyang.lon, 'gcj02')
    expect(metres(gcj, luoyang)).toBeGreaterThan(300)
    expect(metres(fromWgs84(luoyang.lat, luoyang.lon, 'bd09'), luoyang)).toBeGreaterThan(900)
  })

  it('leaves WGS-84 alone', () => {
    expect(toWgs84(34.61, 112.42, 'wgs84')).toEqual({ lat: 34.61, lon: 112.42 })
    expect(fromWgs84(34.61, 112.42, 'wgs84')).toEqual({ lat: 34.61, lon: 112.42 })
  })

  const OUTSIDE = [
    { name: 'Paris', lat: 48.8566, lon: 2.3522 },
    { name: 'New York', lat: 40.7128, lon: -74.006 },
    { name: 'Sydney', lat: -33.8688, lon: 151.2093 },
    // Inside gcoord's rough box, outside China: the map services give WGS-84 there too.
    { name: 'Seoul', lat: 37.5665, lon: 126.978 },
    { name: 'Bangkok', lat: 13.7563, lon: 100.5018 },
    { name: 'Taipei', lat: 25.033, lon: 121.5654 },
    { name: 'Ulaanbaatar', lat: 47.8864, lon: 106.9057 },
    { name: 'Hanoi', lat: 21.0278, lon: 105.8342 },
  ]
  it.each(OUTSIDE)('does not convert outside China: $name passes through unchanged', (place) => {
    expect(inMainlandChina(place.lat, place.lon)).toBe(false)
    for (const crs of ['gcj02', 'bd09'] as const) {
      expect(toWgs84(place.lat, place.lon, crs)).toEqual({ lat: place.lat, lon: place.lon })
      expect(fromWgs84(place.lat, place.lon, crs)).toEqual({ lat: place.lat, lon: place.lon })
    }
  })

  it.each([
    { name: 'Beijing', lat: 39.9042, lon: 116.4074 },
    { name: 'Urumqi', lat: 43.8256, lon: 87.6168 },
    { name: 'Lhasa', lat: 29.652, lon: 91.1721 },
    { name: 'Harbin', lat: 45.8038, lon: 126.535 },
    { name: 'Haikou', lat: 20.044, lon: 110.1999 },
    { name: 'Kunming', lat: 25.0389, lon: 102.7183 },
  ])('converts in mainland China: $name', (place) => {
    expect(inMainlandChina(place.lat, place.lon)).toBe(true)
    expect(metres(fromWgs84(place.lat, place.lon, 'gcj02'), place)).toBeGreaterThan(50)
  })

  const chinese = inlandChina
  const mapCrs = fc.constantFrom<Crs>('gcj02', 'bd09')

  // Both ways: a GPS fix shown on a map and back; a map pick stored and shown again.
  it.each([
    { way: 'WGS-84 → GCJ-02 / BD-09 → WGS-84', there: fromWgs84, back: toWgs84 },
    { way: 'GCJ-02 / BD-09 → WGS-84 → GCJ-02 / BD-09', there: toWgs84, back: fromWgs84 },
  ])('round-trips $way within 1 m (property)', ({ there, back }) => {
    fc.assert(
      fc.property(chinese, mapCrs, (p, crs) => {
        const q = there(p.lat, p.lon, crs)
        expect(metres(back(q.lat, q.lon, crs), p)).toBeLessThan(1)
      }),
      { numRuns: 500 },
    )
  })

  it('converts polygons vertex by vertex, [lat, lon] order kept', () => {
    const gcj: Array<[number, number]> = [
      [34.6105, 112.4255],
      [34.6105, 112.4270],
      [34.6095, 112.4270],
    ]
    const wgs = polygonToWgs84(gcj, 'gcj02')
    expect(wgs).toHaveLength(3)
    wgs.forEach(([lat, lon], i) => expect(toWgs84(gcj[i]![0], gcj[i]![1], 'gcj02')).toEqual({ lat, lon }))
    polygonFromWgs84(wgs, 'gcj02').forEach(([lat, lon], i) => expect(metres({ lat, lon }, { lat: gcj[i]![0], lon: gcj[i]![1] })).toBeLessThan(1))
  })

  it('reads crs as wgs84 by default and refuses anything else', () => {
    expect(crsSchema.parse(undefined)).toBe('wgs84')
    expect(crsSchema.parse('bd09')).toBe('bd09')
    const bad = crsSchema.safeParse('WGS-84')
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.message).toBe('one of wgs84, gcj02, bd09')
  })
})
