import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../test/support/api-client'
import { startTestGateway, waitFor, type TestGateway } from '../../test/support/gateway'
import { DeviceLink } from '../src/devices/device-link'
import { httpIngestConnector, IngestRefused } from '../src/devices/http-ingest-transport'
import type { DeviceMessage, WatchReadingBody } from '../src/devices/messages'
import { topicOf } from '../../contract/topics'
import { type Connector } from '../src/devices/transport'

/**
 * The simulator's HTTP-ingest transport (a vendor cloud forwarding a device, DESIGN §3c)
 * against a real gateway: a publish is a POST that resolves on 202, which the gateway sends
 * only once the message is durable; a refused payload is a publish error; DeviceLink's
 * buffering works over it unchanged; no command ever comes back.
 */
interface Reading {
  ts: number
  lat: number | null
  bat: number | null
}

describe('HTTP-ingest transport against a real gateway (DESIGN §3c)', () => {
  let t: TestGateway
  let device: SeededDevice
  let connector: Connector
  const commands: Buffer[] = []

  beforeAll(async () => {
    t = await startTestGateway({ storage: 'pglite' })
    device = (await seedElders(t.api, 1, { prefix: 'http-transport' }))[0]!
    connector = httpIngestConnector(t.api.baseUrl)
  })

  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  const readings = async (): Promise<Reading[]> =>
    (await t.api.request<{ items: Reading[] }>('GET', `/api/v1/elders/${device.elderId}/telemetry?kind=watch&from=${Date.now() - 86_400_000}&limit=1000`)).items
  const fix = (ts: number, i: number): WatchReadingBody => ({ ts, lat: device.home.lat + i * 1e-4, lon: device.home.lon, acc: 15, src: 'gps', bat: 90 - i, hr: 70, worn: true })

  it('posts a reading and a buffered upload: stored by the time publish resolves', async () => {
    const transport = await connector({ id: device.id, secret: device.secret }, { onCommand: (p) => commands.push(p) })
    const now = Date.now()
    await transport.publish(topicOf(device.id, 'telemetry'), JSON.stringify(fix(now - 120_000, 0)), { qos: 1 })
    // Read back at once: 202 means committed, so there is nothing to wait for.
    expect((await readings()).map((r) => r.ts)).toEqual([now - 120_000])
    await transport.publish(topicOf(device.id, 'telemetry'), JSON.stringify([1, 2, 3].map((i) => fix(now - 600_000 + i * 1000, i))), { qos: 1 })
    expect(await readings()).toHaveLength(4)
    await transport.publish(topicOf(device.id, 'status'), 'online', { qos: 1, retain: true })
    await waitFor(async () => (await t.api.request<{ online: boolean }>('GET', `/api/v1/devices/${device.id}`)).online === true, { what: 'online from the posted status' })
    await transport.end()
  })

  it('opens safety.sos from a posted SOS event', async () => {
    const transport = await connector({ id: device.id, secret: device.secret }, { onCommand: (p) => commands.push(p) })
    await transport.publish(topicOf(device.id, 'event'), JSON.stringify({ ts: Date.now() - 30_000, type: 'sos' }), { qos: 1 })
    await waitFor(
      async () => (await t.api.request<{ items: Array<{ rule: string }> }>('GET', `/api/v1/alerts?elderId=${device.elderId}`)).items.some((a) => a.rule === 'safety.sos'),
      { what: 'a safety.sos alert' },
    )
  })

  it('fails the publish of a refused payload (400) and of bad credentials (401)', async () => {
    const transport = await connector({ id: device.id, secret: device.secret }, { onCommand: () => undefined })
    const refused = await transport.publish(topicOf(device.id, 'telemetry'), JSON.stringify({ ts: Date.now(), bat: 900 }), { qos: 1 }).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(IngestRefused)
    expect((refused as IngestRefused).status).toBe(400)
    const stranger = await connector({ id: device.id, secret: 'not-the-secret-at-all' }, { onCommand: () => undefined })
    await expect(stranger.publish(topicOf(device.id, 'telemetry'), JSON.stringify(fix(Date.now(), 5)), { qos: 1 })).rejects.toMatchObject({ status: 401 })
  })

  it('runs DeviceLink unchanged (kept readings go out as one array on reconnect) and never receives a command', async () => {
    const link = new DeviceLink({ id: device.id, secret: device.secret }, connector, { clock: () => Date.now() })
    await link.connect()
    link.goDown()
    const base = Date.now() - 1_800_000
    for (const i of [10, 11, 12]) link.send({ ts: base + i * 1000, channel: 'telemetry', body: fix(base + i * 1000, i) } satisfies DeviceMessage)
    await link.goUp()
    await link.settled()
    expect(link.stats).toMatchObject({ uploads: 1, publishErrors: 0 })
    const stored = new Set((await readings()).map((r) => r.ts))
    for (const i of [10, 11, 12]) expect(stored.has(base + i * 1000)).toBe(true)
    // An operator's prompt to this device has no way to it: it stays queued, nothing arrives.
    await t.api.request('POST', `/api/v1/devices/${device.id}/voice`, { text: '您好' })
    await new Promise((r) => setTimeout(r, 300))
    expect(commands).toEqual([])
    expect(link.stats.commands).toBe(0)
    await link.close()
  })
})
