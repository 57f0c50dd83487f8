import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { toWgs84 } from '../../src/geo/crs'
import { ADMIN_PASSWORD, bearer, login, startApi, userToken, type Api } from './harness'

/**
 * POST /api/v1/venues/import and /api/v1/elders/import: JSON or CSV, every row validated like
 * the single create route, all or nothing, positions in the file's crs stored as WGS-84.
 */
const pglite = backends.find((b) => b.name === 'pglite')!

/** A venue as GET /venues/:id answers it: matched field by field below. */
type Venue = Record<string, unknown>

describe('bulk imports', () => {
  let api: Api
  let admin: string
  let operator: string
  const venueChanges: string[] = []
  const elderChanges: Array<string | undefined> = []
  beforeAll(async () => {
    api = await startApi(pglite, {
      onVenuesChanged: (tenantId) => void venueChanges.push(tenantId),
      onEldersChanged: (_tenantId, elderId) => void elderChanges.push(elderId),
    })
    admin = await login(api.app, 'admin', ADMIN_PASSWORD)
    operator = await userToken(api.app, admin, { username: 'import-operator', role: 'operator' })
  })
  afterAll(async () => {
    await api?.close()
  })

  const postJson = (url: string, payload: object) => api.app.inject({ method: 'POST', url, headers: bearer(operator), payload })
  const postCsv = (url: string, csv: string) => api.app.inject({ method: 'POST', url, headers: { ...bearer(operator), 'content-type': 'text/csv; charset=utf-8' }, payload: csv })
  const get = (url: string, token = operator) => api.app.inject({ method: 'GET', url, headers: bearer(token) })
  const venueCount = async () => (await get('/api/v1/venues?limit=1')).json().total as number
  const elderCount = async () => (await get('/api/v1/elders?limit=1')).json().total as number
  const venue = async (id: string) => (await get(`/api/v1/venues/${id}`)).json() as Venue

  it('imports JSON venues in one go: the body crs for all rows, a row crs for its own', async () => {
    const changesBefore = venueChanges.length
    const res = await postJson('/api/v1/venues/import', {
      crs: 'gcj02',
      venues: [
        { name: '养生馆', kind: 'sales', lat: 34.6175, lon: 112.4312, radiusM: 60, address: '洛阳市西工区' },
        { name: '理财公司', kind: 'investment', polygon: [[34.62, 112.43], [34.62, 112.431], [34.619, 112.431]], crs: 'wgs84' },
        { name: '人民医院', kind: 'hospital', lat: 34.63, lon: 112.44, radiusM: 200 },
      ],
    })
    expect(res.statusCode).toBe(201)
    const body = res.json() as { created: number; ids: string[] }
    expect(body.created).toBe(3)
    expect(body.ids).toHaveLength(3)
    const [shop, office, hospital] = await Promise.all(body.ids.map(venue))
    expect(shop).toMatchObject({ name: '养生馆', risky: true, address: '洛阳市西工区', radiusM: 60, ...toWgs84(34.6175, 112.4312, 'gcj02') })
    // The row's own crs (wgs84) beat the body's: stored exactly as given.
    expect(office).toMatchObject({ kind: 'investment', polygon: [[34.62, 112.43], [34.62, 112.431], [34.619, 112.431]], lat: null })
    expect(hospital).toMatchObject({ risky: false, ...toWgs84(34.63, 112.44, 'gcj02') })
    // One rule-engine reload for the whole import.
    expect(venueChanges.length).toBe(changesBefore + 1)
  })

  it('imports a CSV file: header in any order and case, ?crs= for the file, a crs column per row, quoted commas, a BOM', async () => {
    const csv = [
      '\uFEFFKind,name,LAT,lon,radiusM,risky,address,crs',
      'sales,健康讲座,34.6101,112.4263,60,,"西工区, 中州路 12 号",',
      'bank,工商银行,34.6111,112.4211,40,true,,wgs84',
      '',
      'other,菜市场,34.6121,112.4221,80,no,,bd09',
    ].join('\r\n')
    const res = await postCsv('/api/v1/venues/import?crs=gcj02', csv)
    expect(res.statusCode).toBe(201)
    const ids = res.json().ids as string[]
    const [lecture, bank, market] = await Promise.all(ids.map(venue))
    expect(lecture).toMatchObject({ name: '健康讲座', kind: 'sales', risky: true, radiusM: 60, address: '西工区, 中州路 12 号', ...toWgs84(34.6101, 112.4263, 'gcj02') })
    expect(bank).toMatchObject({ name: '工商银行', risky: true, lat: 34.6111, lon: 112.4211, address: null })
    expect(market).toMatchObject({ risky: false, ...toWgs84(34.6121, 112.4221, 'bd09') })
  })

  it('refuses a JSON import with bad rows whole, naming every failing row and field', async () => {
    const before = await venueCount()
    const res = await postJson('/api/v1/venues/import', {
      venues: [
        { name: 'fine', kind: 'sales', lat: 34.6, lon: 112.4, radiusM: 50 },
        { name: 'no radius', kind: 'sales', lat: 34.6, lon: 112.4 },
        { name: 'fine too', kind: 'bank', lat: 34.6, lon: 112.4, radiusM: 50 },
        { name: 'bad', kind: 'casino', lat: 95, lon: 112.4, radiusM: 50, crs: 'amap' },
      ],
    })
    expect(res.statusCode).toBe(400)
    const error = res.json().error as { code: string; message: string; fields: Array<{ path: string; message: string }> }
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(error.message).toBe('2 of 4 rows are invalid: nothing was imported')
    expect(error.fields.map((f) => f.path).sort()).toEqual(['venues.1.radiusM', 'venues.3.crs', 'venues.3.kind', 'venues.3.lat'])
    expect(await venueCount()).toBe(before)
  })

  it('refuses a CSV import with bad rows whole, by file line', async () => {
    const before = await venueCount()
    const csv = ['name,kind,lat,lon,radiusM,crs', 'ok,sales,34.6,112.4,50,', 'bad lat,sales,north,112.4,50,', 'bad kind,casino,34.6,112.4,50,', 'bad crs,sales,34.6,112.4,50,GCJ'].join('\n')
    const res = await postCsv('/api/v1/venues/import', csv)
    expect(res.statusCode).toBe(400)
    expect(res.json().error.fields.map((f: { path: string }) => f.path)).toEqual(['line.3.lat', 'line.4.kind', 'line.5.crs'])
    expect(await venueCount()).toBe(before)
  })

  it('names an unknown column, a ragged row, an empty file and a bad ?crs=', async () => {
    const unknown = await postCsv('/api/v1/venues/import', 'name,kind,latitude,lon,radiusM\nx,sales,34.6,112.4,50')
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().error.fields).toEqual([{ path: 'line.1.latitude', message: expect.stringContaining('unknown column') }])
    const polygon = await postCsv('/api/v1/venues/import', 'name,kind,polygon\nx,sales,"[[1,2]]"')
    expect(polygon.json().error.fields[0].path).toBe('line.1.polygon')
    const ragged = await postCsv('/api/v1/venues/import', 'name,kind,lat,lon,radiusM\nx,sales,34.6,112.4,50\ny,sales,34.6,112.4')
    expect(ragged.statusCode).toBe(400)
    expect(ragged.json().error.fields[0].path).toBe('line.3')
    const empty = await postCsv('/api/v1/venues/import', 'name,kind,lat,lon,radiusM\n')
    expect(empty.statusCode).toBe(400)
    const badCrs = await postCsv('/api/v1/venues/import?crs=baidu', 'name,kind,lat,lon,radiusM\nx,sales,34.6,112.4,50')
    expect(badCrs.statusCode).toBe(400)
    expect(badCrs.json().error.fields).toEqual([{ path: 'crs', message: 'one of wgs84, gcj02, bd09' }])
    const noRows = await postJson('/api/v1/venues/import', { venues: [] })
    expect(noRows.json().error.fields).toEqual([{ path: 'venues', message: 'at least one row' }])
    const other = await api.app.inject({ method: 'POST', url: '/api/v1/venues/import', headers: { ...bearer(operator), 'content-type': 'application/xml' }, payload: '<venues/>' })
    expect(other.statusCode).toBe(415)
  })

  it('accepts text/csv on the import routes only', async () => {
    const res = await postCsv('/api/v1/venues', 'name,kind,lat,lon,radiusM\nx,sales,34.6,112.4,50')
    expect(res.statusCode).toBe(415)
  })

  it('imports elders from JSON and CSV, homes as WGS-84, audited like single creates', async () => {
    const before = await elderCount()
    const json = await postJson('/api/v1/elders/import', {
      crs: 'gcj02',
      elders: [
        { name: '张秀英', lat: 34.6089, lon: 112.4275, radiusM: 80, phone: '+86 138 0000 0001', address: '西工区 3 号楼', language: 'zh-CN' },
        { name: '刘建国', lat: 34.6189, lon: 112.4375, crs: 'wgs84', area: 'east' },
      ],
    })
    expect(json.statusCode).toBe(201)
    const [zhang, liu] = await Promise.all((json.json().ids as string[]).map(async (id) => (await get(`/api/v1/elders/${id}`)).json()))
    expect(zhang).toMatchObject({ name: '张秀英', phone: '+86 138 0000 0001', home: { radiusM: 80, ...toWgs84(34.6089, 112.4275, 'gcj02') } })
    expect(liu).toMatchObject({ area: 'east', home: { lat: 34.6189, lon: 112.4375, radiusM: 150 } })

    const csv = await postCsv('/api/v1/elders/import?crs=bd09', 'name,lat,lon,radiusM,phone,language\n王桂兰,34.6289,112.4475,100,13800000002,zh-CN\n')
    expect(csv.statusCode).toBe(201)
    const wang = (await get(`/api/v1/elders/${csv.json().ids[0]}?crs=bd09`)).json()
    expect(wang.home.lat).toBeCloseTo(34.6289, 5)
    expect(wang.home.lon).toBeCloseTo(112.4475, 5)
    expect(await elderCount()).toBe(before + 3)
    // The rule engine re-reads the tenant's profiles once per import (no one elder named).
    expect(elderChanges.slice(-2)).toEqual([undefined, undefined])

    const audit = (await get('/api/v1/audit-log?limit=10', admin)).json().items as Array<{ action: string; target: string; detail: { fields?: string[]; imported?: boolean } }>
    const entry = audit.find((a) => a.target === zhang.id)
    expect(entry).toMatchObject({ action: 'elder.create', detail: { imported: true, fields: expect.arrayContaining(['home', 'name', 'phone']) } })
    expect(JSON.stringify(entry)).not.toContain('138')
  })

  it('refuses elder rows with bad fields whole', async () => {
    const before = await elderCount()
    const res = await postCsv('/api/v1/elders/import', 'name,lat,lon,phone,crs\n赵,34.6,112.4,not a phone,\n,34.6,112.4,,\n钱,34.6,200,,wgs84')
    expect(res.statusCode).toBe(400)
    expect(res.json().error.fields.map((f: { path: string }) => f.path)).toEqual(['line.2.phone', 'line.3.name', 'line.4.lon'])
    expect(await elderCount()).toBe(before)
  })

  it('lets admins and operators import, not police', async () => {
    const station = await api.app.inject({
      method: 'POST',
      url: '/api/v1/police-stations',
      headers: bearer(admin),
      payload: { name: '西工派出所', webhookUrl: 'https://police.example/hook', secret: 'station-secret-0123456789', format: 'json' },
    })
    const police = await userToken(api.app, admin, { username: 'import-police', role: 'police', policeStationId: station.json().id })
    const res = await api.app.inject({ method: 'POST', url: '/api/v1/venues/import', headers: bearer(police), payload: { venues: [{ name: 'x', kind: 'sales', lat: 1, lon: 1, radiusM: 1 }] } })
    expect(res.statusCode).toBe(403)
  })
})
