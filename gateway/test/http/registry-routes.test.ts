import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { ADMIN_PASSWORD, bearer, home, login, startApi, userToken, type Api } from './harness'

describe.each(backends)('registry routes on $name', (backend) => {
  let api: Api
  let admin: string
  let operator: string
  let otherTenant: string
  const venueChanges: string[] = []
  beforeAll(async () => {
    api = await startApi(backend, {
      onVenuesChanged: (tenantId) => {
        venueChanges.push(tenantId)
      },
      riskLevels: async (_tenantId, ids) => new Map(ids.map((id) => [id, 'orange'] as const)),
    })
    admin = await login(api.app, 'admin', ADMIN_PASSWORD)
    operator = await userToken(api.app, admin, { username: 'operator1', role: 'operator' })
    const tenant = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: bearer(admin),
      payload: { name: 'county-b', adminUsername: 'admin-b', adminPassword: 'password-b-1' },
    })
    expect(tenant.statusCode).toBe(201)
    otherTenant = await login(api.app, 'admin-b', 'password-b-1')
  })
  afterAll(async () => {
    await api.close()
  })

  const post = (url: string, token: string, payload: object) => api.app.inject({ method: 'POST', url, headers: bearer(token), payload })
  const get = (url: string, token: string) => api.app.inject({ method: 'GET', url, headers: bearer(token) })

  it('creates, lists, reads, updates and deletes elders, never returning contact secrets', async () => {
    const created = await post('/api/v1/elders', operator, {
      name: 'Zhang Wei',
      home: { ...home, radiusM: 200 },
      phone: '+86 138 0000 0000',
      area: 'east',
      contacts: [{ name: 'Son', relation: 'son', webhookUrl: 'https://family.example/hook', secret: 'family-webhook-secret' }],
      expectedAway: [{ from: '2030-01-01T00:00:00Z', to: Date.parse('2030-01-03T00:00:00Z'), note: 'visiting son' }],
    })
    expect(created.statusCode).toBe(201)
    const elder = created.json()
    expect(elder).toMatchObject({ id: expect.any(String), name: 'Zhang Wei', home: { ...home, radiusM: 200 }, language: 'zh-CN', riskLevel: 'orange' })
    expect(elder.expectedAway[0].from).toBe(Date.parse('2030-01-01T00:00:00Z'))
    expect(created.body).not.toContain('family-webhook-secret')
    expect(elder.contacts[0]).toMatchObject({ name: 'Son', hasSecret: true })

    await post('/api/v1/elders', operator, { name: 'Li Na', home, area: 'west' })
    const east = await get('/api/v1/elders?area=east', operator)
    expect(east.json()).toMatchObject({ total: 1, limit: 100, offset: 0, items: [{ id: elder.id }] })
    expect((await get('/api/v1/elders?q=zhang', operator)).json().total).toBe(1)
    expect((await get('/api/v1/elders?limit=1&offset=1', operator)).json()).toMatchObject({ total: 2, limit: 1, offset: 1, items: [{ name: 'Li Na' }] })

    const one = await get(`/api/v1/elders/${elder.id}`, operator)
    expect(one.statusCode).toBe(200)
    expect(one.body).not.toContain('family-webhook-secret')

    const patched = await api.app.inject({ method: 'PATCH', url: `/api/v1/elders/${elder.id}`, headers: bearer(operator), payload: { phone: null, language: 'en' } })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ phone: null, language: 'en', name: 'Zhang Wei' })

    const removed = await api.app.inject({ method: 'DELETE', url: `/api/v1/elders/${elder.id}`, headers: bearer(operator) })
    expect(removed.statusCode).toBe(204)
    expect((await get(`/api/v1/elders/${elder.id}`, operator)).statusCode).toBe(404)
  })

  it('names every bad field in a 400', async () => {
    const res = await post('/api/v1/elders', operator, { home: { lon: 200 }, contacts: [{ name: 'x', webhookUrl: 'ftp://nope' }] })
    expect(res.statusCode).toBe(400)
    const error = res.json().error
    expect(error.code).toBe('VALIDATION_FAILED')
    const paths = error.fields.map((f: { path: string }) => f.path)
    expect(paths).toEqual(expect.arrayContaining(['name', 'home.lat', 'home.lon', 'contacts.0.webhookUrl']))

    const venue = await post('/api/v1/venues', operator, { name: 'Lecture hall', kind: 'sales', lat: 200, lon: 121 })
    expect(venue.statusCode).toBe(400)
    expect(venue.json().error.fields.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['lat', 'radiusM']))

    const polygon = await post('/api/v1/venues', operator, { name: 'Shop', kind: 'nonsense', polygon: [[31, 121], [31.1, 121]] })
    expect(polygon.json().error.fields.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['kind', 'polygon']))

    const malformed = await api.app.inject({
      method: 'POST',
      url: '/api/v1/elders',
      headers: { ...bearer(operator), 'content-type': 'application/json' },
      payload: '{"name": ',
    })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().error.code).toBe('VALIDATION_FAILED')

    const badLimit = await get('/api/v1/elders?limit=5000', operator)
    expect(badLimit.statusCode).toBe(400)
    expect(badLimit.json().error.fields[0].path).toBe('limit')
  })

  it('shows a device secret only at creation, and rotation stops the old one at once', async () => {
    const elder = (await post('/api/v1/elders', operator, { name: 'Device Owner', home })).json()
    const created = await post('/api/v1/devices', operator, { elderId: elder.id, kind: 'watch', id: 'WATCH-0001' })
    expect(created.statusCode).toBe(201)
    const device = created.json()
    expect(device).toMatchObject({
      id: 'WATCH-0001',
      elderId: elder.id,
      kind: 'watch',
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      mqtt: { clientId: 'WATCH-0001', username: 'WATCH-0001', topicPrefix: 'eg/v1/WATCH-0001/' },
    })
    expect(await api.deviceAuth.verifyDevice('WATCH-0001', device.secret)).toEqual({
      deviceId: 'WATCH-0001',
      tenantId: api.tenantId,
      elderId: elder.id,
      kind: 'watch',
      crs: 'wgs84',
    })

    const list = await get('/api/v1/devices', operator)
    const single = await get('/api/v1/devices/WATCH-0001', operator)
    for (const res of [list, single]) {
      expect(res.statusCode).toBe(200)
      expect(res.body).not.toContain(device.secret)
      expect(res.body).not.toMatch(/secret"|sha256\$/)
    }
    expect(single.json()).toMatchObject({ online: false, lastSeenAt: null, battery: null })

    // Sent the way browser fetch wrappers do: a JSON content type and no body.
    const rotated = await api.app.inject({
      method: 'POST',
      url: '/api/v1/devices/WATCH-0001/rotate-secret',
      headers: { ...bearer(operator), 'content-type': 'application/json' },
    })
    expect(rotated.statusCode).toBe(200)
    expect(rotated.json().secret).not.toBe(device.secret)
    expect(await api.deviceAuth.verifyDevice('WATCH-0001', device.secret)).toBeNull()
    expect(await api.deviceAuth.verifyDevice('WATCH-0001', rotated.json().secret)).not.toBeNull()

    expect((await post('/api/v1/devices', operator, { elderId: elder.id, kind: 'watch', id: 'WATCH-0001' })).statusCode).toBe(409)
    const badId = await post('/api/v1/devices', operator, { elderId: elder.id, kind: 'watch', id: 'eg/v1/#' })
    expect(badId.json().error.fields).toEqual([expect.objectContaining({ path: 'id' })])
    const noElder = await post('/api/v1/devices', operator, { elderId: 'nobody', kind: 'camera' })
    expect(noElder.statusCode).toBe(400)
    expect(noElder.json().error.fields[0].path).toBe('elderId')

    const generated = await post('/api/v1/devices', operator, { elderId: elder.id, kind: 'camera' })
    expect(generated.statusCode).toBe(201)
    expect((await api.app.inject({ method: 'DELETE', url: `/api/v1/devices/${generated.json().id}`, headers: bearer(operator) })).statusCode).toBe(204)
    expect(await api.deviceAuth.verifyDevice(generated.json().id, generated.json().secret)).toBeNull()

    // Deleting the elder takes the devices and their secrets with it.
    await api.app.inject({ method: 'DELETE', url: `/api/v1/elders/${elder.id}`, headers: bearer(operator) })
    expect(await api.deviceAuth.verifyDevice('WATCH-0001', rotated.json().secret)).toBeNull()
  })

  it('keeps tenants apart: another tenant gets 404 for our elders and devices', async () => {
    const elder = (await post('/api/v1/elders', operator, { name: 'Private', home })).json()
    const device = (await post('/api/v1/devices', operator, { elderId: elder.id, kind: 'camera', id: 'cam-private' })).json()
    expect((await get(`/api/v1/elders/${elder.id}`, otherTenant)).statusCode).toBe(404)
    expect((await get(`/api/v1/devices/${device.id}`, otherTenant)).statusCode).toBe(404)
    const theirList = (await get('/api/v1/elders', otherTenant)).json()
    expect(theirList.items.map((e: { id: string }) => e.id)).not.toContain(elder.id)
    const touch = [
      await api.app.inject({ method: 'PATCH', url: `/api/v1/elders/${elder.id}`, headers: bearer(otherTenant), payload: { name: 'Hijacked' } }),
      await api.app.inject({ method: 'DELETE', url: `/api/v1/elders/${elder.id}`, headers: bearer(otherTenant) }),
      await api.app.inject({ method: 'POST', url: `/api/v1/devices/${device.id}/rotate-secret`, headers: bearer(otherTenant) }),
      await api.app.inject({ method: 'DELETE', url: `/api/v1/devices/${device.id}`, headers: bearer(otherTenant) }),
    ]
    for (const res of touch) expect(res.statusCode).toBe(404)
    // Nor can they attach a device to our elder.
    expect((await post('/api/v1/devices', otherTenant, { elderId: elder.id, kind: 'watch' })).statusCode).toBe(400)
    expect((await get(`/api/v1/elders/${elder.id}`, operator)).json().name).toBe('Private')
  })

  it('creates venues with default riskiness, polygons, and tells the rule engine', async () => {
    venueChanges.length = 0
    const circle = await post('/api/v1/venues', operator, { name: 'Free lecture hall', kind: 'sales', lat: 31.2, lon: 121.4, radiusM: 80 })
    expect(circle.statusCode).toBe(201)
    expect(circle.json()).toMatchObject({ id: expect.any(String), risky: true, radiusM: 80, polygon: null })
    const bank = await post('/api/v1/venues', operator, { name: 'Bank', kind: 'bank', polygon: [[31, 121], [31.001, 121], [31.001, 121.001]] })
    expect(bank.json()).toMatchObject({ risky: false, lat: null, polygon: [[31, 121], [31.001, 121], [31.001, 121.001]] })
    const override = await post('/api/v1/venues', operator, { name: 'Harmless tours', kind: 'travel', risky: false, lat: 31, lon: 121, radiusM: 50 })
    expect(override.json().risky).toBe(false)

    const patched = await api.app.inject({ method: 'PATCH', url: `/api/v1/venues/${bank.json().id}`, headers: bearer(operator), payload: { kind: 'investment', lat: 31, lon: 121, radiusM: 30 } })
    expect(patched.json()).toMatchObject({ kind: 'investment', risky: true, lat: 31, polygon: null })
    expect((await get('/api/v1/venues?risky=true', operator)).json().total).toBe(2)
    expect((await api.app.inject({ method: 'DELETE', url: `/api/v1/venues/${circle.json().id}`, headers: bearer(operator) })).statusCode).toBe(204)
    expect(venueChanges).toEqual(Array(5).fill(api.tenantId))
  })

  it('never returns police station secrets', async () => {
    const created = await post('/api/v1/police-stations', admin, {
      name: 'East station',
      webhookUrl: 'https://east.police.example/notices',
      secret: 'east-station-hmac-secret',
      format: 'cap',
    })
    expect(created.statusCode).toBe(201)
    const id = created.json().id
    const patched = await api.app.inject({ method: 'PATCH', url: `/api/v1/police-stations/${id}`, headers: bearer(admin), payload: { secret: 'rotated-station-hmac-secret' } })
    expect(patched.statusCode).toBe(200)
    for (const res of [created, patched, await get('/api/v1/police-stations', operator), await get(`/api/v1/police-stations/${id}`, operator)]) {
      expect(res.body).not.toMatch(/hmac-secret|"secret"/)
    }
  })

  it('writes audit rows for mutations, without secrets', async () => {
    const rows = await api.opened.db.query<{ actor: string; action: string; target: string | null; detail: unknown }>(
      'SELECT actor, action, target, detail FROM audit_log WHERE tenant_id = $1 ORDER BY id',
      [api.tenantId],
    )
    const actions = new Set(rows.map((r) => r.action))
    for (const action of ['user.bootstrap', 'auth.login', 'user.create', 'tenant.create', 'elder.create', 'elder.update', 'elder.delete', 'device.create', 'device.rotate_secret', 'device.delete', 'venue.create', 'venue.update', 'venue.delete', 'police_station.create', 'police_station.update']) {
      expect(actions).toContain(action)
    }
    expect(rows.find((r) => r.action === 'device.create')).toMatchObject({ actor: 'operator1', target: 'WATCH-0001' })
    const text = JSON.stringify(rows)
    expect(text).not.toMatch(/hmac-secret|family-webhook-secret|password-b-1|operator1-password/)

    const trail = await get('/api/v1/audit-log?target=WATCH-0001', admin)
    expect(trail.json().items.map((r: { action: string }) => r.action)).toEqual(['device.rotate_secret', 'device.create'])
    expect(trail.json().total).toBe(2)
    expect((await get('/api/v1/audit-log', operator)).statusCode).toBe(403)
  })
})
