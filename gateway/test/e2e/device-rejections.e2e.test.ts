import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, type TestGateway } from '../../../test/support/gateway'

interface DeviceView {
  id: string
  online: boolean
  lastSeenAt: string | null
  battery: number | null
  rejected: { count: number; lastAt: string | null; lastReason: string | null }
}

/**
 * Issue 6, Devices page: a real watch over MQTT sends garbage and one good reading; the API
 * shows the exact rejected count and the last reason — exact even when the dead-letter table,
 * bounded to EG_DEADLETTER_MAX rows, has already let the older payloads go.
 */
describe('rejected messages per device, end to end on PostgreSQL', () => {
  let t: TestGateway
  let watch: SeededDevice
  let quiet: SeededDevice
  let client: MqttClient

  beforeAll(async () => {
    t = await startTestGateway({ env: { EG_DEADLETTER_MAX: '2' } })
    ;[watch, quiet] = (await seedElders(t.api, 2)) as [SeededDevice, SeededDevice]
    client = await connectDevice(t.mqttUrl, watch.id, watch.secret)
  })
  afterAll(async () => {
    await client?.endAsync()
    await t?.stop()
    await t?.drop()
  })

  it('counts 3 malformed payloads (not the good one) with the last reason, after settle()', async () => {
    const before = Date.now()
    const topic = `eg/v1/${watch.id}/telemetry`
    await client.publishAsync(topic, 'not json at all', { qos: 1 })
    await client.publishAsync(topic, JSON.stringify({ ts: Date.now(), hr: 900 }), { qos: 1 })
    await client.publishAsync(topic, JSON.stringify({ ts: Date.now() + 86_400_000, hr: 70 }), { qos: 1 })
    await client.publishAsync(topic, JSON.stringify({ ts: Date.now(), hr: 72, bat: 64 }), { qos: 1 })
    await t.gateway.settle()

    const device = await t.api.request<DeviceView>('GET', `/api/v1/devices/${watch.id}`)
    expect(device.rejected).toEqual({ count: 3, lastAt: expect.any(String), lastReason: 'future_ts' })
    const lastAt = Date.parse(device.rejected.lastAt ?? '')
    expect(lastAt).toBeGreaterThanOrEqual(before - 1)
    expect(lastAt).toBeLessThanOrEqual(Date.now())
    expect(device.rejected.lastAt).toBe(new Date(lastAt).toISOString())
    // The existing fields are untouched by the addition.
    expect(device).toMatchObject({ id: watch.id, online: true, battery: 64, lastSeenAt: expect.any(String) })

    const list = await t.api.request<{ items: DeviceView[] }>('GET', '/api/v1/devices')
    expect(list.items.find((d) => d.id === watch.id)?.rejected).toEqual(device.rejected)
    expect(list.items.find((d) => d.id === quiet.id)?.rejected).toEqual({ count: 0, lastAt: null, lastReason: null })

    // The dead-letter table kept only the newest 2 (EG_DEADLETTER_MAX): the count did not shrink with it.
    const letters = await t.api.request<{ items: Array<{ deviceId: string; reason: string }> }>('GET', `/api/v1/dead-letters?deviceId=${encodeURIComponent(watch.id)}`)
    expect(letters.items.map((l) => l.reason)).toEqual(['future_ts', 'out_of_range'])
    expect(letters.items.every((l) => l.deviceId === watch.id)).toBe(true)
    expect((await t.api.request<{ items: unknown[] }>('GET', `/api/v1/dead-letters?deviceId=${encodeURIComponent(quiet.id)}`)).items).toEqual([])
  })

  it('keeps counting across a restart: the count lives in the devices row', async () => {
    await client.publishAsync(`eg/v1/${watch.id}/event`, '{"type": 42}', { qos: 1 })
    await client.endAsync()
    t = await t.restart()
    const device = await t.api.request<DeviceView>('GET', `/api/v1/devices/${watch.id}`)
    expect(device.rejected).toMatchObject({ count: 4, lastReason: expect.any(String) })
    expect(device.rejected.lastReason).not.toBe('future_ts')
  })
})
