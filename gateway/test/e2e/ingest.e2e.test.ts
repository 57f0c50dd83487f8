import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SeededDevice } from '../../../test/support/api-client'
import { seedElders } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { MIN, fixes, shanghaiMidnight } from './tracks'

/**
 * Issue 2 end to end: real MQTT clients over TCP → embedded broker (auth, ACL) → validation →
 * batched writer → real PostgreSQL, read back over HTTP.
 */
describe('device ingest, end to end on PostgreSQL', () => {
  let t: TestGateway
  let watch: SeededDevice
  let camera: SeededDevice
  let other: SeededDevice
  let client: MqttClient

  beforeAll(async () => {
    t = await startTestGateway()
    ;[watch, camera, other] = (await seedElders(t.api, 2, { cameras: true })) as [SeededDevice, SeededDevice, SeededDevice]
    client = await connectDevice(t.mqttUrl, watch.id, watch.secret)
  })
  afterAll(async () => {
    await client?.endAsync()
    await t?.stop()
    await t?.drop()
  })

  const telemetry = (elderId: string, from: number, to: number) =>
    t.api.request<{ items: Array<Record<string, unknown>>; events: Array<Record<string, unknown>> }>(
      'GET',
      `/api/v1/elders/${elderId}/telemetry?from=${from}&to=${to}&limit=5000`,
    )

  it('stores single readings and buffered array uploads in full', async () => {
    const midnight = shanghaiMidnight(2)
    const home = { lat: 31.2, lon: 121.4 }
    const upload = fixes(midnight, midnight + 600 * MIN, MIN, home)
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify({ ts: new Date(midnight - MIN).toISOString(), hr: 66 }), { qos: 1 })
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify(upload), { qos: 1 })
    const stored = await waitFor(async () => {
      const r = await telemetry(watch.elderId, midnight - HOUR_MS, midnight + DAY_MS)
      return r.items.length === upload.length + 1 ? r : null
    }, { what: '601 readings stored' })
    expect(stored.items[0]).toMatchObject({ ts: midnight - MIN, hr: 66, deviceId: watch.id, kind: 'watch' })
    expect(stored.items[1]).toMatchObject({ ts: midnight, lat: home.lat, lon: home.lon, acc: 10, src: 'gps', bat: 80 })
    // A QoS 1 resend of the same upload does not double the rows.
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify(upload.slice(0, 10)), { qos: 1 })
    await t.gateway.settle()
    expect((await telemetry(watch.elderId, midnight - HOUR_MS, midnight + DAY_MS)).items).toHaveLength(upload.length + 1)
  })

  it('stores camera readings and events for the elder the device belongs to', async () => {
    const cam = await connectDevice(t.mqttUrl, camera.id, camera.secret)
    const ts = shanghaiMidnight(1) + 9 * 60 * MIN
    await cam.publishAsync(`eg/v1/${camera.id}/telemetry`, JSON.stringify({ ts, presence: true, persons: 2, strangers: 1 }), { qos: 1 })
    await cam.publishAsync(`eg/v1/${camera.id}/event`, JSON.stringify({ ts: ts + 1000, type: 'door_open' }), { qos: 1 })
    await cam.endAsync()
    const r = await waitFor(async () => {
      const x = await telemetry(camera.elderId, ts - MIN, ts + MIN)
      return x.items.length === 1 && x.events.length === 1 ? x : null
    }, { what: 'camera reading and event' })
    expect(r.items[0]).toMatchObject({ kind: 'camera', presence: true, persons: 2, strangers: 1, elderId: camera.elderId })
    expect(r.events[0]).toMatchObject({ type: 'door_open', deviceKind: 'camera' })
  })

  it('counts malformed payloads by reason, dead-letters them, and keeps the good part of an upload', async () => {
    const ts = shanghaiMidnight(1) + 10 * 60 * MIN
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, 'not json at all', { qos: 1 })
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify({ ts, hr: 900 }), { qos: 1 })
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify({ ts: Date.now() + 86_400_000, hr: 70 }), { qos: 1 })
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify([{ ts, hr: 70 }, { ts: ts + 1, lat: 95, lon: 0 }]), { qos: 1 })
    await t.gateway.settle()
    const metrics = await (await fetch(`${t.api.baseUrl}/metrics`)).text()
    expect(metrics).toMatch(/eg_messages_rejected_total\{reason="not_json"\} 1\b/)
    expect(metrics).toMatch(/eg_messages_rejected_total\{reason="out_of_range"\} 2\b/)
    expect(metrics).toMatch(/eg_messages_rejected_total\{reason="future_ts"\} 1\b/)
    const letters = await t.api.request<{ items: Array<{ reason: string; deviceId: string; payload: string }> }>('GET', '/api/v1/dead-letters?limit=10')
    expect(letters.items.map((l) => l.reason).sort()).toEqual(['future_ts', 'not_json', 'out_of_range', 'out_of_range'])
    expect(letters.items.find((l) => l.reason === 'not_json')?.payload).toBe('not json at all')
    expect((await telemetry(watch.elderId, ts - 1, ts + 2)).items).toHaveLength(1)
    // The client survived all of it.
    expect(client.connected).toBe(true)
  })

  it("stores a watch's health readings and returns them; an out-of-range one dead-letters its whole reading with the reason", async () => {
    const ts = shanghaiMidnight(1) + 12 * 60 * MIN
    const measured = { ts, hr: 74, sys: 134, dia: 86, spo2: 96, temp: 36.7 }
    // QoS 1: the PUBACK comes once the fate is durable, so each await below is a stored fact.
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify(measured), { qos: 1 })
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify({ ts: ts + 1000, hr: 71, spo2: 120 }), { qos: 1 })
    const stored = await telemetry(watch.elderId, ts - 1, ts + MIN)
    expect(stored.items).toEqual([{ kind: 'watch', tenantId: expect.any(String), elderId: watch.elderId, deviceId: watch.id, ...measured }])
    const letters = await t.api.request<{ items: Array<{ reason: string; message: string; deviceId: string; payload: string }> }>(
      'GET',
      `/api/v1/dead-letters?limit=10&reason=out_of_range&deviceId=${watch.id}`,
    )
    const spo2Letter = letters.items.find((l) => l.payload.includes('"spo2":120'))
    expect(spo2Letter).toMatchObject({ reason: 'out_of_range', message: 'spo2: must be ≤ 100', deviceId: watch.id })
    expect(client.connected).toBe(true)
  })

  it('refuses a wrong secret and an unknown device, and disconnects a cross-device publish', async () => {
    await expect(connectDevice(t.mqttUrl, watch.id, 'wrong-secret')).rejects.toThrow(/Not authorized|Bad username/i)
    await expect(connectDevice(t.mqttUrl, 'no-such-device', 'x')).rejects.toThrow(/Not authorized|Bad username/i)
    const intruder = await connectDevice(t.mqttUrl, other.id, other.secret)
    const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()))
    const ts = shanghaiMidnight(1) + 11 * 60 * MIN
    intruder.publish(`eg/v1/${watch.id}/telemetry`, JSON.stringify({ ts, hr: 61 }), { qos: 1 })
    await closed
    await t.gateway.settle()
    expect((await telemetry(watch.elderId, ts - 1, ts + 1)).items).toHaveLength(0)
    intruder.end(true)
  })

  it('tracks online/offline from the retained status and the will', async () => {
    const cam = await connectDevice(t.mqttUrl, camera.id, camera.secret, {
      will: { topic: `eg/v1/${camera.id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
    })
    await cam.publishAsync(`eg/v1/${camera.id}/status`, 'online', { qos: 1, retain: true })
    await waitFor(async () => (await t.api.request<{ online: boolean }>('GET', `/api/v1/devices/${camera.id}`)).online, { what: 'online' })
    cam.stream.destroy() // an abrupt link loss: the broker publishes the will
    await waitFor(async () => !(await t.api.request<{ online: boolean }>('GET', `/api/v1/devices/${camera.id}`)).online, { what: 'offline' })
  })
})

const HOUR_MS = 60 * MIN
const DAY_MS = 24 * HOUR_MS
