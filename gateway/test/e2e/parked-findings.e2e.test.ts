import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiClient, seedElders, type SeededDevice } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import type { Db, Queryable } from '../../src/storage/db'

/**
 * Parked findings through the real gateway: SOS events over MQTT from two tenants, the
 * database refusing the alerts of two elders (a NUL byte in their evidence: a real 22P05 from
 * PostgreSQL and PGlite). The other alerts open; the two are parked, seen by admins only,
 * retried (409 while the cause remains, 200 with the alert once it is gone) and dismissed.
 */
interface ParkedView {
  id: string
  elderId: string
  rule: string
  errorCode: string
  errorMessage: string
  attempts: number
  status: string
  alertId: string | null
  decidedBy: string | null
  finding: { dedupKey?: string }
}
interface AlertView {
  id: string
  rule: string
  count: number
}

describe.each(['postgres', 'pglite'] as const)('parked findings end to end (%s)', (storage) => {
  let t: TestGateway
  let operator: ApiClient
  let adminB: ApiClient
  let good: SeededDevice
  let bad: SeededDevice
  let worse: SeededDevice
  let goodB: SeededDevice
  let restore: () => void
  const poison = { on: true, elders: new Set<string>() }

  /** Alerts of poisoned elders get evidence PostgreSQL refuses, while `poison.on` (the INSERT opens a statement that also writes the history row). */
  function poisonAlertInserts(db: Db): () => void {
    const transaction = db.transaction.bind(db)
    db.transaction = (fn) =>
      transaction((tx) => {
        const poisoned: Queryable = {
          query(sql, params) {
            if (poison.on && /INSERT INTO alerts \(/.test(sql) && poison.elders.has(String(params?.[2]))) {
              const refused = [...(params ?? [])]
              refused[7] = JSON.stringify({ note: 'a NUL \u0000 byte' })
              return tx.query(sql, refused)
            }
            return tx.query(sql, params)
          },
        }
        return fn(poisoned)
      })
    return () => {
      db.transaction = transaction
    }
  }

  async function pressSos(devices: SeededDevice[]): Promise<void> {
    await Promise.all(
      devices.map(async (d) => {
        const client = await connectDevice(t.mqttUrl, d.id, d.secret)
        await client.publishAsync(`eg/v1/${d.id}/event`, JSON.stringify({ ts: Date.now(), type: 'sos' }), { qos: 1 })
        await client.endAsync()
      }),
    )
  }

  const alertsOf = async (api: ApiClient, elderId: string) => (await api.request<{ items: AlertView[] }>('GET', `/api/v1/alerts?elderId=${elderId}`)).items
  const parked = async (status?: string) =>
    (await t.api.request<{ items: ParkedView[]; total: number }>('GET', `/api/v1/parked-findings${status ? `?status=${status}` : ''}`)).items

  beforeAll(async () => {
    t = await startTestGateway({ storage })
    ;[good, bad, worse] = (await seedElders(t.api, 3)) as [SeededDevice, SeededDevice, SeededDevice]
    poison.elders = new Set([bad.elderId, worse.elderId])
    const base = `http://127.0.0.1:${t.gateway.httpPort}`
    await t.api.request('POST', '/api/v1/users', { username: 'op1', role: 'operator', password: 'operator-password' })
    operator = new ApiClient(base)
    await operator.login('op1', 'operator-password')
    await t.api.request('POST', '/api/v1/tenants', { name: 'county-b', adminUsername: 'admin-b', adminPassword: 'admin-b-password' })
    adminB = new ApiClient(base)
    await adminB.login('admin-b', 'admin-b-password')
    ;[goodB] = (await seedElders(adminB, 1, { prefix: 'b' })) as [SeededDevice]
    restore = poisonAlertInserts(t.gateway.db)
  })
  afterAll(async () => {
    restore?.()
    await t?.stop()
    await t?.drop()
  })

  it('opens the good alerts, parks the refused ones for admins, retries and dismisses them', async () => {
    await pressSos([good, bad, worse, goodB])
    await waitFor(async () => (await alertsOf(t.api, good.elderId)).length === 1, { what: "the good elder's SOS alert" })
    await waitFor(async () => (await alertsOf(adminB, goodB.elderId)).length === 1, { what: "the other tenant's SOS alert" })
    const open = await waitFor(async () => {
      const items = await parked('open')
      return items.length === 2 && items
    }, { what: 'two parked findings' })
    expect(await alertsOf(t.api, bad.elderId)).toEqual([])
    for (const p of open) {
      expect(p).toMatchObject({ rule: 'safety.sos', errorCode: '22P05', attempts: 5, status: 'open', alertId: null })
      expect(p.errorMessage).toMatch(/Unicode escape/)
      // Serialisable itself: stored whole, so a retry can apply it.
      expect(p.finding.dedupKey).toContain('safety.sos')
    }
    expect(t.gateway.detection.findingsHealth()).toMatchObject({ deferred: 0, parked: 2, failingTenants: [] })

    // Admins only, and only their own tenant's.
    expect((await operator.raw('GET', '/api/v1/parked-findings')).status).toBe(403)
    expect((await adminB.request<{ total: number }>('GET', '/api/v1/parked-findings')).total).toBe(0)
    const target = open.find((p) => p.elderId === bad.elderId)!
    const other = open.find((p) => p.elderId === worse.elderId)!
    expect((await adminB.raw('POST', `/api/v1/parked-findings/${target.id}/retry`)).status).toBe(404)
    expect((await operator.raw('POST', `/api/v1/parked-findings/${target.id}/dismiss`)).status).toBe(403)

    // Still refused: 409 with the database's error, one more attempt recorded.
    const refused = await t.api.raw('POST', `/api/v1/parked-findings/${target.id}/retry`)
    expect(refused.status).toBe(409)
    expect(refused.json).toMatchObject({ error: { code: 'FINDING_STILL_FAILING' } })
    expect((refused.json as { error: { message: string } }).error.message).toMatch(/^22P05: /)
    expect((await parked('open')).find((p) => p.id === target.id)).toMatchObject({ attempts: 6, status: 'open' })

    // The cause is gone: the retry opens the alert, once.
    poison.on = false
    const retried = await t.api.request<{ alertId: string; parkedFinding: ParkedView }>('POST', `/api/v1/parked-findings/${target.id}/retry`)
    expect(retried.parkedFinding).toMatchObject({ status: 'retried', decidedBy: 'admin', alertId: retried.alertId })
    expect(await alertsOf(t.api, bad.elderId)).toMatchObject([{ id: retried.alertId, rule: 'safety.sos', count: 1 }])
    const again = await t.api.raw('POST', `/api/v1/parked-findings/${target.id}/retry`)
    expect(again.status).toBe(409)
    expect(again.json).toMatchObject({ error: { code: 'PARKED_FINDING_NOT_OPEN' } })

    const dismissed = await t.api.request<{ parkedFinding: ParkedView }>('POST', `/api/v1/parked-findings/${other.id}/dismiss`)
    expect(dismissed.parkedFinding).toMatchObject({ status: 'dismissed', decidedBy: 'admin' })
    expect((await t.api.raw('POST', `/api/v1/parked-findings/${other.id}/dismiss`)).status).toBe(409)
    expect(await alertsOf(t.api, worse.elderId)).toEqual([])
    expect(await parked('open')).toEqual([])
    expect((await parked('dismissed')).map((p) => p.id)).toEqual([other.id])
    expect((await parked()).length).toBe(2)

    const audit = async (target: string) =>
      (await t.api.request<{ items: Array<{ action: string; detail: { outcome?: string } }> }>('GET', `/api/v1/audit-log?target=${target}`)).items
    expect((await audit(target.id)).map((a) => [a.action, a.detail.outcome]).reverse()).toEqual([
      ['parked_finding.retry', 'failed'],
      ['parked_finding.retry', 'applied'],
    ])
    expect((await audit(other.id)).map((a) => a.action)).toEqual(['parked_finding.dismiss'])

    expect(t.gateway.detection.findingsHealth()).toMatchObject({ deferred: 0, parked: 0 })
    const metrics = await (await fetch(`http://127.0.0.1:${t.gateway.httpPort}/metrics`)).text()
    expect(metrics).toMatch(/^eg_findings_parked 0$/m)
    expect(metrics).toMatch(/^eg_findings_parked_total 2$/m)
    expect(metrics).toMatch(/^eg_findings_deferred 0$/m)
    expect(metrics).toMatch(/^eg_findings_failures_total\{kind="data"\} \d+$/m)
    expect(metrics).toMatch(/^eg_detection_tenant_failures_total 0$/m)
  })
})
