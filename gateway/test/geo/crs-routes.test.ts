import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { fromWgs84, toWgs84 } from '../../src/geo/crs'
import { ADMIN_PASSWORD, bearer, login, startApi, userToken, type Api } from '../http/harness'

/**
 * DESIGN §4 "Positions and coordinate systems" on the registry routes: positions in bodies are
 * converted to WGS-84 before storage (read back with the default crs), and answered in `?crs=`.
 * The conversion itself is tested in crs.test.ts; here, that every route applies it.
 */
const pglite = backends.find((b) => b.name === 'pglite')!

/** A house in Luoyang as AMap shows it (GCJ-02), and its true position (WGS-84). */
const HOME_GCJ = { lat: 34.6089, lon: 112.4275 }
const HOME_WGS = toWgs84(HOME_GCJ.lat, HOME_GCJ.lon, 'gcj02')
/** Round trips through BD-09 come back within ~0.1 m (gcoord's inverse is iterative); a map pick is coarser. */
const WITHIN_M = 0.5

describe('coordinate systems on the registry routes', () => {
  let api: Api
  let operator: string
  const venueChanges: string[] = []
  beforeAll(async () => {
    api = await startApi(pglite, { onVenuesChanged: (tenantId) => void venueChanges.push(tenantId) })
    const admin = await login(api.app, 'admin', ADMIN_PASSWORD)
    operator = await userToken(api.app, admin, { username: 'crs-operator', role: 'operator' })
  })
  afterAll(async () => {
    await api?.close()
  })

  const send = (method: 'POST' | 'PATCH', url: string, payload: object) => api.app.inject({ method, url, headers: bearer(operator), payload })
  const get = (url: string) => api.app.inject({ method: 'GET', url, headers: bearer(operator) })

  function expectAt(actual: { lat: number; lon: number }, expected: { lat: number; lon: number }): void {
    const dy = (actual.lat - expected.lat) * 111_320
    const dx = (actual.lon - expected.lon) * 111_320 * Math.cos((expected.lat * Math.PI) / 180)
    expect(Math.hypot(dx, dy), `${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`).toBeLessThan(WITHIN_M)
  }

  it("stores an elder's GCJ-02 home as WGS-84 and answers in ?crs=", async () => {
    const created = await send('POST', '/api/v1/elders', { name: 'Wang Fang', home: { ...HOME_GCJ, radiusM: 80, crs: 'gcj02' } })
    expect(created.statusCode).toBe(201)
    const id = created.json().id as string
    // The default answer is what is stored: WGS-84, hundreds of metres from the AMap pick.
    expectAt(created.json().home, HOME_WGS)
    expect(Math.abs(created.json().home.lon - HOME_GCJ.lon)).toBeGreaterThan(0.003)
    expect(created.json().home.radiusM).toBe(80)
    expectAt((await get(`/api/v1/elders/${id}`)).json().home, HOME_WGS)
    expectAt((await get(`/api/v1/elders/${id}?crs=wgs84`)).json().home, HOME_WGS)
    // Asked in GCJ-02, the answer is the AMap pick again.
    expectAt((await get(`/api/v1/elders/${id}?crs=gcj02`)).json().home, HOME_GCJ)
    const listed = (await get('/api/v1/elders?crs=gcj02&q=Wang')).json().items as Array<{ id: string; home: { lat: number; lon: number } }>
    expectAt(listed.find((e) => e.id === id)!.home, HOME_GCJ)

    // A PATCH in Baidu's BD-09 moves the home; the answer follows ?crs= on the PATCH too.
    const bd = fromWgs84(HOME_WGS.lat, HOME_WGS.lon, 'bd09')
    const patched = await send('PATCH', `/api/v1/elders/${id}?crs=bd09`, { home: { ...bd, crs: 'bd09' } })
    expect(patched.statusCode).toBe(200)
    expectAt(patched.json().home, bd)
    expectAt((await get(`/api/v1/elders/${id}`)).json().home, HOME_WGS)
  })

  it('stores a WGS-84 home (the default crs) exactly as given', async () => {
    const created = await send('POST', '/api/v1/elders', { name: 'Li Qiang', home: { lat: 34.61, lon: 112.42 } })
    expect(created.json().home).toEqual({ lat: 34.61, lon: 112.42, radiusM: 150 })
  })

  it('stores venue circles and polygons as WGS-84 (a top-level crs), answers in ?crs=', async () => {
    const hallGcj = { lat: 34.6175, lon: 112.4312 }
    const circle = await send('POST', '/api/v1/venues', { name: '保健品讲座', kind: 'sales', ...hallGcj, radiusM: 60, crs: 'gcj02' })
    expect(circle.statusCode).toBe(201)
    const circleId = circle.json().id as string
    expectAt(circle.json(), toWgs84(hallGcj.lat, hallGcj.lon, 'gcj02'))
    expectAt((await get(`/api/v1/venues/${circleId}?crs=gcj02`)).json(), hallGcj)

    const shopBd: Array<[number, number]> = [
      [34.6251, 112.4401],
      [34.6251, 112.4412],
      [34.6243, 112.4412],
      [34.6243, 112.4401],
    ]
    const polygon = await send('POST', '/api/v1/venues', { name: '旅行社', kind: 'travel', polygon: shopBd, crs: 'bd09' })
    expect(polygon.statusCode).toBe(201)
    const polygonId = polygon.json().id as string
    const stored = (await get(`/api/v1/venues/${polygonId}`)).json().polygon as Array<[number, number]>
    stored.forEach(([lat, lon], i) => expectAt({ lat, lon }, toWgs84(shopBd[i]![0], shopBd[i]![1], 'bd09')))
    const asBaidu = (await get(`/api/v1/venues?crs=bd09&kind=travel`)).json().items[0].polygon as Array<[number, number]>
    asBaidu.forEach(([lat, lon], i) => expectAt({ lat, lon }, { lat: shopBd[i]![0], lon: shopBd[i]![1] }))
    // A circle's null polygon and a polygon's null circle stay null in any crs.
    expect((await get(`/api/v1/venues/${polygonId}?crs=gcj02`)).json()).toMatchObject({ lat: null, lon: null, radiusM: null })
    expect((await get(`/api/v1/venues/${circleId}?crs=gcj02`)).json().polygon).toBeNull()

    // PATCH: the new geometry in its crs; crs alone changes nothing.
    const moved = await send('PATCH', `/api/v1/venues/${circleId}`, { lat: 34.62, lon: 112.43, radiusM: 70, crs: 'gcj02' })
    expect(moved.statusCode).toBe(200)
    expectAt(moved.json(), toWgs84(34.62, 112.43, 'gcj02'))
    const nothing = await send('PATCH', `/api/v1/venues/${circleId}`, { crs: 'gcj02' })
    expect(nothing.statusCode).toBe(400)
    expect(venueChanges.length).toBeGreaterThanOrEqual(3)
  })

  it('does not convert a position outside China, whatever crs it is given in', async () => {
    const paris = { lat: 48.8566, lon: 2.3522 }
    const venue = await send('POST', '/api/v1/venues', { name: 'Paris office', kind: 'investment', ...paris, radiusM: 100, crs: 'bd09' })
    expect(venue.json()).toMatchObject(paris)
    expect((await get(`/api/v1/venues/${venue.json().id}?crs=gcj02`)).json()).toMatchObject(paris)
  })

  it('refuses an unknown crs with 400 naming the field, in bodies and queries', async () => {
    const elder = await send('POST', '/api/v1/elders', { name: 'X', home: { ...HOME_GCJ, crs: 'GCJ-02' } })
    expect(elder.statusCode).toBe(400)
    expect(elder.json().error.fields).toEqual([{ path: 'home.crs', message: 'one of wgs84, gcj02, bd09' }])
    const venue = await send('POST', '/api/v1/venues', { name: 'Y', kind: 'sales', ...HOME_GCJ, radiusM: 50, crs: 'amap' })
    expect(venue.statusCode).toBe(400)
    expect(venue.json().error.fields).toEqual([{ path: 'crs', message: 'one of wgs84, gcj02, bd09' }])
    for (const url of ['/api/v1/elders?crs=baidu', '/api/v1/venues?crs=1', '/api/v1/positions?crs=gps']) {
      const res = await get(url)
      expect(res.statusCode).toBe(400)
      expect(res.json().error.fields).toEqual([{ path: 'crs', message: 'one of wgs84, gcj02, bd09' }])
    }
    const elderId = (await send('POST', '/api/v1/elders', { name: 'Z', home: HOME_GCJ })).json().id as string
    const device = await send('POST', '/api/v1/devices', { elderId, kind: 'watch', crs: 'wgs-84' })
    expect(device.statusCode).toBe(400)
    expect(device.json().error.fields).toEqual([{ path: 'crs', message: 'one of wgs84, gcj02, bd09' }])
  })

  it("keeps a device's crs: in its views and in the identity its messages are decoded with", async () => {
    const elderId = (await send('POST', '/api/v1/elders', { name: 'Zhao Min', home: HOME_GCJ })).json().id as string
    const tracker = await send('POST', '/api/v1/devices', { elderId, kind: 'watch', id: 'tracker-gcj-1', crs: 'gcj02' })
    expect(tracker.statusCode).toBe(201)
    expect(tracker.json().crs).toBe('gcj02')
    expect((await get('/api/v1/devices/tracker-gcj-1')).json().crs).toBe('gcj02')
    expect((await get(`/api/v1/devices?elderId=${elderId}`)).json().items).toEqual([expect.objectContaining({ id: 'tracker-gcj-1', crs: 'gcj02' })])
    expect(await api.deviceAuth.verifyDevice('tracker-gcj-1', tracker.json().secret as string)).toMatchObject({ crs: 'gcj02' })
    const plain = await send('POST', '/api/v1/devices', { elderId, kind: 'camera' })
    expect(plain.json().crs).toBe('wgs84')
    const watch = await send('POST', '/api/v1/devices', { elderId, kind: 'watch', protocol: 'watch', imei: '868120301234567', crs: 'bd09' })
    expect(watch.json()).toMatchObject({ protocol: 'watch', crs: 'bd09' })
  })
})
