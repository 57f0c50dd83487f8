import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiClient, seedElders, type SeededDevice } from '../../../test/support/api-client'
import { ADMIN_PASSWORD, connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { key, startQos1Stream } from '../../../test/support/qos1-stream'

/**
 * DESIGN §3: "No message can affect another device's messages." One hostile watch sends what
 * broke the gateway before — an extra field nested 8,000 levels deep (16 KB) in a reading, in an
 * event and in an SOS, a detail of 300 KB, a payload over the size limit — while good devices of
 * its own tenant and of another tenant stream readings and press SOS. Everything of the good
 * devices is stored and alerted, the hostile watch's SOS is still an SOS, its junk is
 * dead-lettered with the reason, and the gateway stays healthy and answers its API.
 */
const nested = (levels: number) => `${'{"x":'.repeat(levels)}1${'}'.repeat(levels)}`

interface AlertView {
  id: string
  elderId: string
  rule: string
  level: string
  evidence: Record<string, unknown>
}

describe.each(['postgres', 'pglite'] as const)('a hostile device on %s', (storage) => {
  let gw: TestGateway
  let apiB: ApiClient
  let evil: SeededDevice
  let goodA: SeededDevice
  let sosA: SeededDevice
  let goodB: SeededDevice
  let sosB: SeededDevice
  const clients: MqttClient[] = []

  beforeAll(async () => {
    gw = await startTestGateway({ storage })
    ;[evil, goodA, sosA] = (await seedElders(gw.api, 3, { prefix: 'a' })) as [SeededDevice, SeededDevice, SeededDevice]
    await gw.api.request('POST', '/api/v1/tenants', { name: 'county B', adminUsername: 'admin-b', adminPassword: 'county-b-password' })
    apiB = new ApiClient(gw.api.baseUrl)
    await apiB.login('admin-b', 'county-b-password')
    ;[goodB, sosB] = (await seedElders(apiB, 2, { prefix: 'b' })) as [SeededDevice, SeededDevice]
  })
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined)
    await gw?.stop()
    await gw?.drop()
  })

  async function connect(d: SeededDevice): Promise<MqttClient> {
    const c = await connectDevice(gw.mqttUrl, d.id, d.secret)
    clients.push(c)
    return c
  }

  it('stores and alerts everything of everyone else, keeps its SOS, dead-letters its junk', { timeout: 120_000 }, async () => {
    const now = Date.now()
    const stream = await startQos1Stream({ url: gw.mqttUrl, devices: [goodA, goodB], window: 4, startTs: now - 600_000 })
    await waitFor(async () => stream.ackedCount() >= 50, { what: 'good traffic flowing' })

    const bad = await connect(evil)
    const topic = (leaf: string) => `eg/v1/${evil.id}/${leaf}`
    const deep = nested(8_000)
    // Each of these is acknowledged (its fate is durable), none may disturb the others.
    await bad.publishAsync(topic('telemetry'), `{"ts":${now - 5_000},"hr":71,"extra":${deep}}`, { qos: 1 })
    await bad.publishAsync(topic('event'), `{"ts":${now - 4_000},"type":"low_battery","extra":${deep}}`, { qos: 1 })
    await bad.publishAsync(topic('event'), JSON.stringify({ ts: now - 3_500, type: 'door_open', blob: 'x'.repeat(300_000) }), { qos: 1 })
    await bad.publishAsync(topic('event'), `{"ts":${now - 3_000},"type":"sos","extra":${deep}}`, { qos: 1 })
    await bad.publishAsync(topic('telemetry'), JSON.stringify({ ts: now - 2_000, hr: 70, pad: 'y'.repeat(600 * 1024) }), { qos: 1 })
    await bad.publishAsync(topic('telemetry'), `[${Array.from({ length: 20 }, (_, i) => `{"ts":${now - 60_000 + i},"bat":50,"x":${nested(2_000)}}`).join(',')}]`, { qos: 1 })

    // Good devices of both tenants press SOS after the poison.
    const a = await connect(sosA)
    const b = await connect(sosB)
    await a.publishAsync(`eg/v1/${sosA.id}/event`, JSON.stringify({ ts: Date.now() - 1_000, type: 'sos' }), { qos: 1 })
    await b.publishAsync(`eg/v1/${sosB.id}/event`, JSON.stringify({ ts: Date.now() - 1_000, type: 'sos' }), { qos: 1 })

    const sosOpen = async (api: ApiClient, elderId: string) =>
      (await api.request<{ items: AlertView[] }>('GET', `/api/v1/alerts?elderId=${elderId}`)).items.find((x) => x.rule === 'safety.sos')
    const evilSos = await waitFor(() => sosOpen(gw.api, evil.elderId), { what: "the hostile watch's SOS alert" })
    expect(evilSos.level).toBe('red')
    expect(JSON.stringify(evilSos.evidence).length).toBeLessThan(4_000)
    await waitFor(() => sosOpen(gw.api, sosA.elderId), { what: 'tenant A SOS alert' })
    await waitFor(() => sosOpen(apiB, sosB.elderId), { what: 'tenant B SOS alert' })

    // The registry answers (it hung behind a wedged alert transaction before).
    const created = await gw.api.raw('POST', '/api/v1/elders', { name: 'after the poison', home: { lat: 31.2, lon: 121.4 } })
    expect(created.status).toBe(201)

    await stream.stop()
    await gw.gateway.settle()
    // Every acknowledged reading of the good devices is stored.
    const stored = new Set<string>()
    for (const [api, d] of [[gw.api, goodA], [apiB, goodB]] as const) {
      const t = await api.request<{ items: Array<{ deviceId: string; ts: number }> }>(
        'GET',
        `/api/v1/elders/${d.elderId}/telemetry?from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now + 3_600_000).toISOString()}&limit=10000`,
      )
      for (const r of t.items) stored.add(key(r.deviceId, r.ts))
    }
    expect([...stream.acked.readings].filter((k) => !stored.has(k))).toEqual([])

    // The hostile watch's own valid parts are stored: the reading (extra ignored), the events (detail dropped).
    const own = await gw.api.request<{ items: Array<{ hr?: number }>; events: Array<{ type: string; detail: unknown }> }>(
      'GET',
      `/api/v1/elders/${evil.elderId}/telemetry?from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now + 3_600_000).toISOString()}`,
    )
    expect(own.items.some((r) => r.hr === 71)).toBe(true)
    expect(own.events.map((e) => [e.type, e.detail]).sort()).toEqual([
      ['door_open', { dropped: 'too_large', bytes: 300_011 }],
      ['low_battery', { dropped: 'too_deep' }],
      ['sos', { dropped: 'too_deep' }],
    ])
    const letters = await gw.api.request<{ items: Array<{ reason: string; deviceId: string }> }>('GET', `/api/v1/dead-letters?deviceId=${evil.id}`)
    expect(letters.items.map((l) => l.reason).sort()).toEqual(['oversize', 'too_deep', 'too_deep', 'too_large'])

    const health = await fetch(`${gw.api.baseUrl}/healthz`)
    expect(health.status).toBe(200)
  })
})
