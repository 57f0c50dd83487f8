import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { MIN, offset, shanghaiMidnight, type Place } from './tracks'

/**
 * Issue 12, DESIGN §5 "silence is measured by arrival", through the real gateway (EG_CLOCK=event,
 * real MQTT): elder A is out all afternoon with a watch in power saving — a fix every 10 min,
 * uploaded as one array every 25 min — while elder B's watch, at home and live, moves the
 * tenant's event clock. A's newest fix is often 35 min old when B's next fix arrives, which the
 * old rule (silence = age of the newest event time) called "silent while away". Then A's watch
 * dies: silence counts from its last UPLOAD, on the tenant clock as it stood when it arrived.
 */
interface AlertView {
  rule: string
  level: string
  evidence: Record<string, unknown>
}

describe('silence by arrival through the gateway (EG_CLOCK=event)', () => {
  let t: TestGateway
  let a: SeededDevice
  let b: SeededDevice
  let homeA: Place
  let homeB: Place

  beforeAll(async () => {
    t = await startTestGateway({ env: { EG_CLOCK: 'event' } })
    ;[a, b] = (await seedElders(t.api, 2)) as [SeededDevice, SeededDevice]
    homeA = (await t.api.request<{ home: Place }>('GET', `/api/v1/elders/${a.elderId}`)).home
    homeB = (await t.api.request<{ home: Place }>('GET', `/api/v1/elders/${b.elderId}`)).home
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  const alertsOf = async (elderId: string) => (await t.api.request<{ items: AlertView[] }>('GET', `/api/v1/alerts?elderId=${elderId}`)).items

  it('a buffering watch away from home is not silent; once it stops uploading, it is — 30 min after its last upload', async () => {
    const start = shanghaiMidnight(2) + 13 * 60 * MIN
    const out = offset(homeA, 3000)
    const watchA = await connectDevice(t.mqttUrl, a.id, a.secret)
    const watchB = await connectDevice(t.mqttUrl, b.id, b.secret)
    const fix = (ts: number, p: Place) => ({ ts, lat: p.lat, lon: p.lon, acc: 15, src: 'gps' })
    let buffered: Array<ReturnType<typeof fix>> = []
    let lastUpload = 0
    const uploadsUntil = start + 3 * 60 * MIN
    for (let ts = start; ts <= start + 4 * 60 * MIN; ts += 5 * MIN) {
      // QoS 1, one at a time: each PUBACK means stored, so the gateway sees them in this order.
      await watchB.publishAsync(`eg/v1/${b.id}/telemetry`, JSON.stringify(fix(ts, homeB)), { qos: 1 })
      if (ts > uploadsUntil) continue
      if ((ts - start) % (10 * MIN) === 0) buffered.push(fix(ts, out))
      if ((ts - start) % (25 * MIN) === 0 && buffered.length > 0) {
        await watchA.publishAsync(`eg/v1/${a.id}/telemetry`, JSON.stringify(buffered), { qos: 1 })
        buffered = []
        lastUpload = ts
      }
    }
    await watchA.endAsync()
    await watchB.endAsync()

    const removed = await waitFor(async () => (await alertsOf(a.elderId)).find((x) => x.rule === 'device.removed'), { what: 'device.removed for A' })
    expect(removed.evidence['reason']).toBe('silent')
    // Measured from the last upload (as the tenant clock stood when it arrived), not from the
    // newest fix in it, which was recorded up to 25 minutes before.
    expect(removed.evidence['lastSeen']).toBe(new Date(lastUpload).toISOString())
    expect(Date.parse(String(removed.evidence['newestEventAt']))).toBeLessThan(lastUpload)
    // One alert, counted once: no false alarm while the watch kept uploading.
    expect((await alertsOf(a.elderId)).filter((x) => x.rule === 'device.removed').map((x) => (x as AlertView & { count: number }).count)).toEqual([1])
    expect((await alertsOf(a.elderId)).filter((x) => x.rule === 'device.removed')).toHaveLength(1)
    expect((await alertsOf(b.elderId)).filter((x) => x.rule === 'device.removed' || x.rule === 'device.offline')).toEqual([])
  })
})
