import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WatchReading } from '../../../rules/src/input'
import { backends, silentLogger } from '../../../test/support/databases'
import { createMetrics } from '../../src/metrics'
import { createTelemetryWriter } from '../../src/storage/telemetry-writer'
import { seedAlert, startReportApi, type ReportApi } from '../reports/fixtures'
import { bearer, home, login } from './harness'

/** GET /api/v1/elders/:id/activity and GET /api/v1/alerts/daily through fastify inject. */
const H8 = Date.parse('2026-11-02T08:00:00Z')
const H9 = H8 + 3_600_000
const MIN = 60_000

describe.each(backends)('activity routes on $name', (backend) => {
  let api: ReportApi
  let elder: string
  let otherTenantAdmin: string

  beforeAll(async () => {
    api = await startReportApi(backend)
    const created = await api.app.inject({ method: 'POST', url: '/api/v1/elders', headers: bearer(api.operator), payload: { name: '王阿姨', home } })
    elder = (created.json() as { id: string }).id
    const reading = (ts: number, hr: number, steps: number): WatchReading => ({ kind: 'watch', tenantId: api.tenantId, elderId: elder, deviceId: 'watch-1', ts, hr, steps })
    const writer = createTelemetryWriter(api.opened.db, { batchSize: 100, flushMs: 10, bufferCapacity: 100, logger: silentLogger, metrics: createMetrics() })
    writer.push({ readings: [reading(H8 + 5 * MIN, 70, 100), reading(H8 + 50 * MIN, 80, 400), reading(H9 + MIN, 90, 450)] })
    await writer.close()
    await seedAlert(api.opened.db, api.tenantId, { elderId: elder, rule: 'safety.fall', level: 'red', firstAt: '2026-11-02T03:00:00Z' })

    const tenant = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: bearer(api.admin),
      payload: { name: 'county-b', adminUsername: 'admin-b', adminPassword: 'password-b-1' },
    })
    expect(tenant.statusCode).toBe(201)
    otherTenantAdmin = await login(api.app, 'admin-b', 'password-b-1')
  })
  afterAll(async () => {
    await api?.close()
  })

  const get = (url: string, token: string) => api.app.inject({ method: 'GET', url, headers: bearer(token) })

  it("answers an elder's hours with ISO instants, from ISO or epoch-ms bounds", async () => {
    const res = await get(`/api/v1/elders/${elder}/activity?from=2026-11-02T08:00:00Z&to=${H9 + 3_600_000}`, api.operator)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      elderId: elder,
      from: '2026-11-02T08:00:00.000Z',
      to: '2026-11-02T10:00:00.000Z',
      hours: [
        { at: '2026-11-02T08:00:00.000Z', readings: 2, steps: 300, hrMean: 75, hrMin: 70, hrMax: 80, fixes: 0 },
        { at: '2026-11-02T09:00:00.000Z', readings: 1, steps: 0, hrMean: 90, hrMin: 90, hrMax: 90, fixes: 0 },
      ],
    })
    expect((await get(`/api/v1/elders/${elder}/activity?from=${H8}&to=${H9}`, api.admin)).json().hours).toHaveLength(1)
  })

  it('defaults to the last 24 hours', async () => {
    const body = (await get(`/api/v1/elders/${elder}/activity`, api.operator)).json()
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(86_400_000)
    expect(Math.abs(Date.parse(body.to) - Date.now())).toBeLessThan(60_000)
    expect(body.hours).toEqual([])
  })

  it('refuses bad ranges with the failing fields', async () => {
    const fields = async (query: string) => {
      const res = await get(`/api/v1/elders/${elder}/activity?${query}`, api.operator)
      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('VALIDATION_FAILED')
      return (res.json().error.fields as Array<{ path: string }>).map((f) => f.path)
    }
    expect(await fields(`from=${H9}&to=${H9}`)).toEqual(['to'])
    expect(await fields(`from=${H9}&to=${H8}`)).toEqual(['to'])
    expect(await fields(`from=${H8}&to=${H8 + 31 * 86_400_000 + 1}`)).toEqual(['from'])
    expect(await fields('from=yesterday')).toContain('from')
    expect((await get(`/api/v1/elders/${elder}/activity?from=${H8}&to=${H8 + 31 * 86_400_000}`, api.operator)).statusCode).toBe(200)
  })

  it('answers 404 for an unknown elder or one of another tenant, 403 to police', async () => {
    expect((await get('/api/v1/elders/no-such-elder/activity', api.operator)).json().error.code).toBe('NOT_FOUND')
    const foreign = await get(`/api/v1/elders/${elder}/activity?from=${H8}&to=${H9}`, otherTenantAdmin)
    expect(foreign.statusCode).toBe(404)
    expect(foreign.body).not.toContain('readings')
    expect((await get(`/api/v1/elders/${elder}/activity`, api.police)).statusCode).toBe(403)
    expect((await get('/api/v1/alerts/daily', api.police)).statusCode).toBe(403)
    expect((await get('/api/v1/alerts/daily', '')).statusCode).toBe(401)
  })

  it('counts alerts per UTC day for the caller’s tenant', async () => {
    const res = await get('/api/v1/alerts/daily?from=2026-11-01&to=2026-11-02', api.operator)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ from: '2026-11-01', to: '2026-11-02', days: [{ day: '2026-11-02', rule: 'safety.fall', level: 'red', count: 1 }] })
    expect((await get('/api/v1/alerts/daily?from=2026-11-01&to=2026-11-02', otherTenantAdmin)).json().days).toEqual([])
    const defaults = (await get('/api/v1/alerts/daily', api.admin)).json()
    expect(Date.parse(defaults.to) - Date.parse(defaults.from)).toBe(6 * 86_400_000)
    expect(defaults.to).toBe(new Date().toISOString().slice(0, 10))
  })

  it('are documented at /docs', async () => {
    const paths = Object.keys((await api.app.inject({ method: 'GET', url: '/docs/json' })).json().paths)
    expect(paths).toEqual(expect.arrayContaining(['/api/v1/elders/{id}/activity', '/api/v1/alerts/daily']))
  })

  it('refuses bad days with the failing fields', async () => {
    const fields = async (query: string) => {
      const res = await get(`/api/v1/alerts/daily?${query}`, api.operator)
      expect(res.statusCode).toBe(400)
      return (res.json().error.fields as Array<{ path: string }>).map((f) => f.path)
    }
    expect(await fields('from=2026-02-30&to=2026-03-01')).toEqual(['from'])
    expect(await fields('from=2026-11-03&to=2026-11-02')).toEqual(['to'])
    expect(await fields('from=2024-01-01&to=2026-11-02')).toEqual(['from'])
  })

  it("gives every elder's newest fix since `since`, skipping readings without a position", async () => {
    const other = (await api.app.inject({ method: 'POST', url: '/api/v1/elders', headers: bearer(api.operator), payload: { name: '李大爷', home } })).json() as { id: string }
    const now = Date.now()
    const fix = (elderId: string, ts: number, lat: number, extra: Partial<WatchReading> = {}): WatchReading => ({ kind: 'watch', tenantId: api.tenantId, elderId, deviceId: `pos-${elderId}`, ts, lat, lon: 120.75, acc: 10, src: 'gps', ...extra })
    const writer = createTelemetryWriter(api.opened.db, { batchSize: 100, flushMs: 10, bufferCapacity: 100, logger: silentLogger, metrics: createMetrics() })
    writer.push({
      readings: [
        fix(elder, now - 3 * 3_600_000, 30.1),
        fix(elder, now - 2 * 3_600_000, 30.2),
        // Newer, but no position: the fix before it stays the last known position.
        { kind: 'watch', tenantId: api.tenantId, elderId: elder, deviceId: `pos-${elder}`, ts: now - 3_600_000, hr: 72 },
        // Older than the default day: not a current position.
        fix(other.id, now - 30 * 3_600_000, 31.5),
      ],
    })
    await writer.close()

    const res = await get('/api/v1/positions', api.operator)
    expect(res.statusCode).toBe(200)
    const items = res.json().items as Array<{ elderId: string; lat: number; ts: number; at: string; src: string }>
    expect(items).toEqual([expect.objectContaining({ elderId: elder, lat: 30.2, lon: 120.75, acc: 10, src: 'gps', ts: now - 2 * 3_600_000 })])
    expect(items[0]?.at).toBe(new Date(now - 2 * 3_600_000).toISOString())
    const week = (await get(`/api/v1/positions?since=${now - 2 * 86_400_000}`, api.operator)).json().items as Array<{ elderId: string; lat: number }>
    expect(week.map((p) => [p.elderId, p.lat]).sort()).toEqual([[elder, 30.2], [other.id, 31.5]].sort())

    expect((await get('/api/v1/positions', otherTenantAdmin)).json().items).toEqual([])
    expect((await get('/api/v1/positions', api.police)).statusCode).toBe(403)
    const tooOld = await get(`/api/v1/positions?since=${now - 8 * 86_400_000}`, api.operator)
    expect(tooOld.statusCode).toBe(400)
    expect(tooOld.json().error.fields.map((f: { path: string }) => f.path)).toEqual(['since'])
  })
})
