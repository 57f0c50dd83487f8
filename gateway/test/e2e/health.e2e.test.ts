import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { lockReadings } from '../../../test/support/stall'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { healthProblems } from '../../src/health'

/**
 * /healthz tells the truth (issue 11): 503 with the reason while acknowledged-to-be data waits
 * to be stored, and 200 again once it is; the age of the oldest unstored row is a metric.
 */
describe('health problems', () => {
  const writer = (oldest: number | undefined, failing?: { since: number; error: string }) => ({ oldestPendingAt: () => oldest, failing: () => failing })
  const quiet = { deferred: 0, oldestDeferredMs: undefined, parked: 0, failingTenants: [] }

  it('names each way the gateway is not doing its job, and nothing when all is well', () => {
    expect(healthProblems({ now: 100_000, stallMs: 15_000, writer: writer(undefined), findings: quiet })).toEqual([])
    expect(healthProblems({ now: 100_000, stallMs: 15_000, writer: writer(90_000), findings: quiet })).toEqual([])
    const behind = healthProblems({ now: 100_000, stallMs: 15_000, writer: writer(80_000, { since: 81_000, error: '57P01: terminating connection' }), findings: quiet })
    expect(behind.map((p) => p.code)).toEqual(['storage_behind'])
    expect(behind[0]!.message).toMatch(/20 s.*57P01/)
    const findings = { deferred: 2, oldestDeferredMs: 30_000, parked: 1, failingTenants: ['t9'] }
    expect(healthProblems({ now: 100_000, stallMs: 15_000, writer: writer(undefined), findings }).map((p) => p.code)).toEqual([
      'findings_stuck',
      'findings_parked',
      'tenant_failing',
    ])
  })
})

describe('/healthz while the database stalls', () => {
  let gw: TestGateway
  let watch: SeededDevice

  beforeAll(async () => {
    gw = await startTestGateway({ env: { EG_HEALTH_STALL_MS: '300' } })
    ;[watch] = (await seedElders(gw.api, 1)) as [SeededDevice]
  })
  afterAll(async () => {
    await gw?.stop()
    await gw?.drop()
  })

  it('answers 503 storage_behind while a PUBACK waits on the database, then 200', { timeout: 60_000 }, async () => {
    const health = async () => {
      const res = await fetch(`${gw.api.baseUrl}/healthz`)
      return { status: res.status, body: (await res.json()) as { problems?: Array<{ code: string }> } }
    }
    expect((await health()).status).toBe(200)
    const device = await connectDevice(gw.mqttUrl, watch.id, watch.secret)
    try {
      const stall = await lockReadings(gw.database!.url)
      let acked = false
      const publish = device.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify({ ts: Date.now() - 1_000, hr: 66 }), { qos: 1 }).then(() => (acked = true))
      const sick = await waitFor(async () => {
        const h = await health()
        return h.status === 503 ? h : undefined
      }, { what: '/healthz to report the stall' })
      expect(sick.body.problems?.map((p) => p.code)).toEqual(['storage_behind'])
      expect(acked).toBe(false)
      const metrics = await (await fetch(`${gw.api.baseUrl}/metrics`)).text()
      const age = Number(/^eg_writer_oldest_unstored_seconds (\S+)$/m.exec(metrics)?.[1])
      expect(age).toBeGreaterThanOrEqual(0.3)
      await stall.release()
      await publish
      await waitFor(async () => (await health()).status === 200, { what: '/healthz healthy again' })
    } finally {
      await device.endAsync(true)
    }
  })
})
