import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from '../../../test/support/gateway'
import type { AlertReport } from '../../src/reports/alert-report'
import { seedAlert } from './fixtures'

/**
 * The reports and candidate routes inside the real gateway over real HTTP: registered, and fed
 * EG_TZ and EG_ESCALATE_AFTER_MS from the configuration.
 */
describe('reports in the assembled gateway', () => {
  let t: TestGateway

  beforeAll(async () => {
    // Europe/Berlin, to cross a daylight-saving change: 2026-10-25 has 25 hours there.
    t = await startTestGateway({ env: { EG_TZ: 'Europe/Berlin', EG_ESCALATE_AFTER_MS: String(10 * 60_000) } })
    const elder = await t.api.request<{ id: string }>('POST', '/api/v1/elders', { name: 'Wang', home: { lat: 31.23, lon: 121.47 }, area: 'Mitte' })
    // 23:30 on 10-25 in Berlin (CET, UTC+1 since 03:00 that day); a fixed +2 would say 10-26.
    await seedAlert(t.gateway.db, t.gateway.tenantId, { elderId: elder.id, rule: 'safety.sos', level: 'red', firstAt: '2026-10-25T22:30:00Z', ackAfterMin: 4 })
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  it('serves the alert report in the configured zone and SLA target, as JSON and CSV', async () => {
    const r = await t.api.request<AlertReport>('GET', '/api/v1/reports/alerts?from=2026-10-25&to=2026-10-26')
    expect(r).toMatchObject({ timeZone: 'Europe/Berlin', sla: { targetMinutes: 10, acknowledged: 1, withinTarget: 1 } })
    expect(r.rows).toEqual([{ bucket: '2026-10-25', rule: 'safety.sos', level: 'red', area: 'Mitte', disposition: null, count: 1 }])
    const csv = await fetch(`${t.api.baseUrl}/api/v1/reports/alerts?from=2026-10-25&to=2026-10-26`, {
      headers: { authorization: `Bearer ${t.api.token}`, accept: 'text/csv' },
    })
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    // Response.text() drops the BOM while decoding, so the bytes are checked.
    const bytes = Buffer.from(await csv.arrayBuffer())
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
    expect(bytes.subarray(3).toString('utf8')).toBe('bucket,rule,level,area,disposition,count\r\n2026-10-25,safety.sos,red,Mitte,,1\r\n')
  })

  it('routes candidate decisions', async () => {
    const res = await t.api.raw('POST', '/api/v1/venue-candidates/no-such-candidate/promote', { name: 'x' })
    expect(res).toEqual({ status: 404, json: { error: { code: 'NOT_FOUND', message: 'venue candidate not found' } } })
  })
})
