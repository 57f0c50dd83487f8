import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import type { AlertReport } from '../../src/reports/alert-report'
import { bearer } from '../http/harness'
import { seedAlert, seedElder, startReportApi, type ReportApi } from './fixtures'

/** An area name that needs CSV quoting: a comma, quotes and a line break. */
const TRICKY_AREA = '黄浦区, "南京东路"\n街道'
/** An area name a spreadsheet would run as a formula. */
const FORMULA_AREA = '=HYPERLINK("http://x")'

describe.each(backends)('alert report on $name', (backend) => {
  let api: ReportApi

  beforeAll(async () => {
    api = await startReportApi(backend)
    const db = api.opened.db
    const [tricky, formula, none] = [await seedElder(db, api.tenantId, TRICKY_AREA), await seedElder(db, api.tenantId, FORMULA_AREA), await seedElder(db, api.tenantId, null)]
    const seed = (a: Parameters<typeof seedAlert>[2]) => seedAlert(db, api.tenantId, a)
    // Asia/Shanghai is UTC+8: local midnight of 2026-11-02 is 2026-11-01T16:00Z.
    await seed({ elderId: none, rule: 'safety.sos', level: 'red', firstAt: '2026-11-01T15:59:59Z', ackAfterMin: 100, disposition: 'referred_to_police' })
    await seed({ elderId: tricky, rule: 'venue.repeat', level: 'orange', firstAt: '2026-11-01T16:00:00Z', ackAfterMin: 5, disposition: 'confirmed_fraud' })
    await seed({ elderId: tricky, rule: 'venue.repeat', level: 'orange', firstAt: '2026-11-02T15:59:00Z', ackAfterMin: 20, disposition: 'confirmed_fraud' })
    // Still 2026-11-02 in UTC but already 2026-11-03 locally.
    await seed({ elderId: formula, rule: 'safety.fall', level: 'red', firstAt: '2026-11-02T16:30:00Z' })
    await seed({ elderId: formula, rule: 'venue.repeat', level: 'red', firstAt: '2026-11-03T02:00:00Z', ackAfterMin: 10 })
    await seed({ elderId: none, rule: 'home.strangers', level: 'yellow', firstAt: '2026-11-04T15:59:59.999Z', ackAfterMin: 1, disposition: 'false_alarm' })
    await seed({ elderId: none, rule: 'safety.sos', level: 'red', firstAt: '2026-11-04T16:00:00Z', ackAfterMin: 100, disposition: 'referred_to_police' })
    // Another tenant's alert in range must never show.
    await db.query("INSERT INTO tenants (id, name) VALUES ('other', 'other')")
    await seedAlert(db, 'other', { elderId: await seedElder(db, 'other', TRICKY_AREA), rule: 'venue.repeat', level: 'red', firstAt: '2026-11-03T02:00:00Z' })
  })
  afterAll(async () => {
    await api?.close()
  })

  const get = (url: string, token = api.operator, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers: { ...bearer(token), ...headers } })
  const report = async (query: string) => {
    const res = await get(`/api/v1/reports/alerts?${query}`)
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as AlertReport
  }

  it('counts alerts per local day of raising, with the local-midnight boundary in Asia/Shanghai', async () => {
    const r = await report('period=day&from=2026-11-02&to=2026-11-04')
    expect(r).toMatchObject({ period: 'day', from: '2026-11-02', to: '2026-11-04', timeZone: 'Asia/Shanghai' })
    expect(r.rows).toEqual([
      { bucket: '2026-11-02', rule: 'venue.repeat', level: 'orange', area: TRICKY_AREA, disposition: 'confirmed_fraud', count: 2 },
      { bucket: '2026-11-03', rule: 'safety.fall', level: 'red', area: FORMULA_AREA, disposition: null, count: 1 },
      { bucket: '2026-11-03', rule: 'venue.repeat', level: 'red', area: FORMULA_AREA, disposition: null, count: 1 },
      { bucket: '2026-11-04', rule: 'home.strangers', level: 'yellow', area: null, disposition: 'false_alarm', count: 1 },
    ])
    expect(r.totals).toEqual({
      total: 5,
      byRule: { 'venue.repeat': 3, 'safety.fall': 1, 'home.strangers': 1 },
      byLevel: { orange: 2, red: 2, yellow: 1 },
      byArea: { [TRICKY_AREA]: 2, [FORMULA_AREA]: 2, '—': 1 },
      byDisposition: { confirmed_fraud: 2, unresolved: 2, false_alarm: 1 },
    })
  })

  it('reports acknowledgement against the 15-minute target over orange and red alerts only', async () => {
    const r = await report('period=day&from=2026-11-02&to=2026-11-04')
    // In range at orange/red: acked after 5, 20 and 10 minutes, and one never acknowledged.
    // percentile_cont over [5, 10, 20]: median 10, p90 = 10 + 0.8 × (20 − 10) = 18.
    expect(r.sla).toEqual({ targetMinutes: 15, acknowledged: 3, withinTarget: 2, breached: 1, unacknowledged: 1, medianAckMinutes: 10, p90AckMinutes: 18 })
    const empty = await report('period=day&from=2026-10-01&to=2026-10-02')
    expect(empty.rows).toEqual([])
    expect(empty.sla).toMatchObject({ acknowledged: 0, unacknowledged: 0, medianAckMinutes: null, p90AckMinutes: null })
  })

  it('buckets weeks on their local Monday', async () => {
    // 2026-11-01 is a Sunday: its last local second belongs to the week of Monday 10-26.
    const r = await report('period=week&from=2026-11-01&to=2026-11-10')
    expect(r.rows.map((row) => [row.bucket, row.rule, row.level, row.count])).toEqual([
      ['2026-10-26', 'safety.sos', 'red', 1],
      ['2026-11-02', 'home.strangers', 'yellow', 1],
      ['2026-11-02', 'safety.fall', 'red', 1],
      ['2026-11-02', 'safety.sos', 'red', 1],
      ['2026-11-02', 'venue.repeat', 'orange', 2],
      ['2026-11-02', 'venue.repeat', 'red', 1],
    ])
    expect(r.totals.total).toBe(7)
  })

  it('defaults to the last 7 local days, or the last 8 weeks from a Monday', async () => {
    // NOW is 2026-11-05 01:00 in Shanghai (still 11-04 in UTC).
    expect(await report('')).toMatchObject({ period: 'day', from: '2026-10-30', to: '2026-11-05' })
    expect(await report('period=week')).toMatchObject({ period: 'week', from: '2026-09-14', to: '2026-11-05' })
    expect(await report('period=day&to=2026-11-03')).toMatchObject({ from: '2026-10-28', to: '2026-11-03' })
  })

  it('answers CSV with a BOM, RFC 4180 quoting and neutralised formulas', async () => {
    const res = await get('/api/v1/reports/alerts?period=day&from=2026-11-02&to=2026-11-04&format=csv')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toBe('attachment; filename="eldergate-alerts-day-2026-11-02-2026-11-04.csv"')
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
    expect(res.body).toBe(
      '\uFEFF' +
        [
          'bucket,rule,level,area,disposition,count',
          '2026-11-02,venue.repeat,orange,"黄浦区, ""南京东路""\n街道",confirmed_fraud,2',
          `2026-11-03,safety.fall,red,"'=HYPERLINK(""http://x"")",,1`,
          `2026-11-03,venue.repeat,red,"'=HYPERLINK(""http://x"")",,1`,
          '2026-11-04,home.strangers,yellow,,false_alarm,1',
        ].join('\r\n') +
        '\r\n',
    )
    const byAccept = await get('/api/v1/reports/alerts?period=day&from=2026-11-02&to=2026-11-04', api.admin, { accept: 'text/csv' })
    expect(byAccept.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(byAccept.body).toBe(res.body)
  })

  it('answers 400 naming the failing fields', async () => {
    const fields = async (query: string) => {
      const res = await get(`/api/v1/reports/alerts?${query}`)
      expect(res.statusCode, query).toBe(400)
      const body = res.json() as { error: { code: string; fields: Array<{ path: string }> } }
      expect(body.error.code).toBe('VALIDATION_FAILED')
      return body.error.fields.map((f) => f.path)
    }
    expect(await fields('period=month')).toEqual(['period'])
    expect(await fields('from=2026-2-1')).toEqual(['from'])
    expect(await fields('from=2026-02-30&to=2026-03-01')).toEqual(['from'])
    expect(await fields('format=xlsx')).toEqual(['format'])
    expect(await fields('from=2026-11-04&to=2026-11-03')).toEqual(['to'])
    // 401 days counted inclusively; 400 is the limit.
    expect(await fields('from=2025-10-01&to=2026-11-05')).toEqual(['to'])
    expect((await get('/api/v1/reports/alerts?from=2025-10-02&to=2026-11-05')).statusCode).toBe(200)
  })

  it('refuses police users, in JSON and CSV', async () => {
    expect((await get('/api/v1/reports/alerts', api.police)).statusCode).toBe(403)
    expect((await get('/api/v1/reports/alerts?format=csv', api.police)).statusCode).toBe(403)
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/reports/alerts' })).statusCode).toBe(401)
  })
})
