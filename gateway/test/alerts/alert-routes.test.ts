import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RuleId } from '../../../rules/src/index'
import { applyFindings, type Alert } from '../../src/alerts/alert-store'
import { noAlertEffects } from '../../src/alerts/effects'
import type { RiskLevel } from '../../../contract/levels'
import { ApiClient } from '../../../test/support/api-client'
import { startTestGateway, type TestGateway } from '../../../test/support/gateway'
import { finding, T0 } from './fixtures'

interface AlertView extends Alert {
  history: Array<{ action: string; actor: string; fromStatus: string | null; toStatus: string | null }>
}
interface ErrorView {
  error: { code: string; message: string; fields?: Array<{ path: string; message: string }> }
}

/** The alert routes over real HTTP against a real gateway and its PostgreSQL database. */
describe('alert routes (real gateway)', () => {
  let t: TestGateway
  let admin: ApiClient
  let operator: ApiClient
  let police: ApiClient
  let operatorId: string
  let stationElder: string
  let otherElder: string

  beforeAll(async () => {
    t = await startTestGateway()
    admin = new ApiClient(t.api.baseUrl)
    admin.token = t.api.token
    const station = await t.api.request<{ id: string }>('POST', '/api/v1/police-stations', {
      name: 'Huangpu station',
      webhookUrl: 'http://127.0.0.1:9/notice',
      secret: 'a-very-secret-key-0123',
      format: 'json',
    })
    operatorId = (await t.api.request<{ id: string }>('POST', '/api/v1/users', { username: 'otto', password: 'operator-pass-1', role: 'operator' })).id
    await t.api.request('POST', '/api/v1/users', { username: 'pol', password: 'police-pass-1', role: 'police', policeStationId: station.id })
    operator = new ApiClient(t.api.baseUrl)
    await operator.login('otto', 'operator-pass-1')
    police = new ApiClient(t.api.baseUrl)
    await police.login('pol', 'police-pass-1')
    stationElder = (await t.api.request<{ id: string }>('POST', '/api/v1/elders', { name: 'Wang', home: { lat: 31.23, lon: 121.47 }, policeStationId: station.id })).id
    otherElder = (await t.api.request<{ id: string }>('POST', '/api/v1/elders', { name: 'Li', home: { lat: 31.24, lon: 121.48 } })).id
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  async function alertOf(elderId: string, rule: RuleId, level: RiskLevel): Promise<Alert> {
    const [c] = await applyFindings(t.gateway.db, [finding(t.gateway.tenantId, elderId, rule, level, T0)], noAlertEffects)
    return c!.alert
  }

  async function fieldsOf(client: ApiClient, method: string, path: string, body?: unknown): Promise<string[]> {
    const res = await client.raw(method, path, body)
    expect(res.status).toBe(400)
    const err = (res.json as ErrorView).error
    expect(err.code).toBe('VALIDATION_FAILED')
    return (err.fields ?? []).map((f) => f.path)
  }

  it('lets an operator acknowledge, assign and resolve an alert, each answer carrying the history', async () => {
    const alert = await alertOf(otherElder, 'home.strangers', 'yellow')
    const acked = await operator.request<AlertView>('POST', `/api/v1/alerts/${alert.id}/ack`)
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'otto' })
    const assigned = await operator.request<AlertView>('POST', `/api/v1/alerts/${alert.id}/assign`, { userId: operatorId })
    expect(assigned.assignee).toBe(operatorId)
    const mine = await operator.request<{ items: Alert[]; total: number }>('GET', `/api/v1/alerts?assignee=${operatorId}`)
    expect(mine.items.map((a) => a.id)).toEqual([alert.id])

    const resolved = await operator.request<AlertView>('POST', `/api/v1/alerts/${alert.id}/resolve`, { disposition: 'false_alarm', note: 'grandson visiting' })
    expect(resolved).toMatchObject({ status: 'resolved', disposition: 'false_alarm', resolutionNote: 'grandson visiting', resolvedBy: 'otto' })
    expect(resolved.history.map((h) => [h.action, h.actor, h.fromStatus, h.toStatus])).toEqual([
      ['opened', 'rule-engine', null, 'open'],
      ['acknowledged', 'otto', 'open', 'acknowledged'],
      ['assigned', 'otto', 'acknowledged', 'acknowledged'],
      ['resolved', 'otto', 'acknowledged', 'resolved'],
    ])
    const detail = await admin.request<AlertView>('GET', `/api/v1/alerts/${alert.id}`)
    expect(detail.history).toHaveLength(4)

    const again = await operator.raw('POST', `/api/v1/alerts/${alert.id}/resolve`, { disposition: 'false_alarm' })
    expect(again.status).toBe(409)
    expect((again.json as ErrorView).error).toMatchObject({ code: 'CONFLICT', message: 'the alert is already resolved' })
    expect((await operator.raw('POST', `/api/v1/alerts/${alert.id}/reopen`)).status).toBe(403)
    expect(await admin.request<AlertView>('POST', `/api/v1/alerts/${alert.id}/reopen`)).toMatchObject({ status: 'open', disposition: null })
  })

  it('answers 400 naming the failing fields', async () => {
    const alert = await alertOf(otherElder, 'device.removed', 'orange')
    expect(await fieldsOf(operator, 'POST', `/api/v1/alerts/${alert.id}/resolve`, {})).toEqual(['disposition'])
    expect(await fieldsOf(operator, 'POST', `/api/v1/alerts/${alert.id}/resolve`, { disposition: 'solved', note: 5 })).toEqual(['disposition', 'note'])
    expect(await fieldsOf(operator, 'POST', `/api/v1/alerts/${alert.id}/assign`, {})).toEqual(['userId'])
    expect(await fieldsOf(operator, 'POST', `/api/v1/alerts/${alert.id}/assign`, { userId: 'nobody' })).toEqual(['userId'])
    expect(await fieldsOf(operator, 'GET', '/api/v1/alerts?level=purple&status=closed')).toEqual(expect.arrayContaining(['level', 'status']))
    expect(await fieldsOf(operator, 'GET', '/api/v1/alerts/sla?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z')).toEqual(['to'])
    expect((await operator.raw('POST', '/api/v1/alerts/no-such-alert/ack')).status).toBe(404)
  })

  it('shows police only red alerts of elders of their station, read-only', async () => {
    const red = await alertOf(stationElder, 'safety.sos', 'red')
    const orange = await alertOf(stationElder, 'absence.overnight', 'orange')
    const elsewhere = await alertOf(otherElder, 'safety.fall', 'red')
    const seen = await police.request<{ items: Alert[]; total: number }>('GET', '/api/v1/alerts')
    expect(seen.items.map((a) => a.id)).toEqual([red.id])
    expect(seen.total).toBe(1)
    expect((await police.request<AlertView>('GET', `/api/v1/alerts/${red.id}`)).history[0]?.action).toBe('opened')
    expect((await police.raw('GET', `/api/v1/alerts/${orange.id}`)).status).toBe(404)
    expect((await police.raw('GET', `/api/v1/alerts/${elsewhere.id}`)).status).toBe(404)
    expect((await police.raw('POST', `/api/v1/alerts/${red.id}/ack`)).status).toBe(403)
    expect((await police.raw('POST', `/api/v1/alerts/${red.id}/resolve`, { disposition: 'confirmed_fraud' })).status).toBe(403)
    expect((await police.raw('GET', '/api/v1/alerts/sla')).status).toBe(403)

    // Staff see everything, most severe first.
    const all = await operator.request<{ items: Alert[] }>('GET', `/api/v1/alerts?elderId=${stationElder}`)
    expect(all.items.map((a) => a.level)).toEqual(['red', 'orange'])
  })

  it('reports time to acknowledge per level against the 60 s and 180 s answering targets', async () => {
    const elder = (await t.api.request<{ id: string }>('POST', '/api/v1/elders', { name: 'Zhao', home: { lat: 31.2, lon: 121.4 } })).id
    const rules: RuleId[] = ['safety.sos', 'safety.fall', 'absence.trip', 'money.bank_after_venue']
    const alerts = await Promise.all(rules.map(async (rule) => alertOf(elder, rule, 'red')))
    for (const a of alerts.slice(0, 3)) await operator.request('POST', `/api/v1/alerts/${a.id}/ack`)
    // Pin the wall times (when the alerts reached the board and were answered) to a past window.
    const reached = Date.UTC(2026, 0, 5, 3, 0, 0)
    const answeredAfterS = [30, 90, 200]
    for (const [i, a] of alerts.entries()) {
      await t.gateway.db.query('UPDATE alerts SET created_at = $2, acknowledged_at = $3 WHERE id = $1', [
        a.id,
        new Date(reached + i * 1000),
        answeredAfterS[i] === undefined ? null : new Date(reached + i * 1000 + answeredAfterS[i]! * 1000),
      ])
    }
    const report = await operator.request<{ from: string; levels: Array<Record<string, unknown>> }>(
      'GET',
      `/api/v1/alerts/sla?from=${reached}&to=${new Date(reached + 60_000).toISOString()}`,
    )
    expect(report.from).toBe(new Date(reached).toISOString())
    expect(report.levels.map((l) => l.level)).toEqual(['red', 'orange', 'yellow', 'green'])
    expect(report.levels[0]).toEqual({
      level: 'red',
      count: 4,
      acknowledged: 3,
      timeToAcknowledge: { p50: 90, p90: 178, max: 200 },
      acknowledgedWithin60s: 0.25,
      acknowledgedWithin180s: 0.5,
    })
    expect(report.levels[1]).toMatchObject({ count: 0, acknowledged: 0, timeToAcknowledge: { p50: null, p90: null, max: null }, acknowledgedWithin60s: null })
  })
})
