import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders } from '../../test/support/api-client'
import { startTestGateway, waitFor, type TestGateway } from '../../test/support/gateway'
import { registerWatch } from '../../test/support/watch-client'
import { DeviceLink, type VoiceCommand } from '../src/devices/device-link'
import type { DeviceMessage, WatchReadingBody } from '../src/devices/messages'
import { topicOf } from '../../contract/topics'
import { type LinkTransport, type WatchNumberCredentials } from '../src/devices/transport'
import { watchProtocolConnector, type WatchProtocolConnector } from '../src/devices/watch-protocol-transport'

/**
 * The simulator's watch-protocol transport against a real gateway's watch port (DESIGN §3b):
 * what DeviceLink publishes arrives in storage and the rule engine as it would over MQTT, a
 * publish resolves only once its data is durable (the LK barrier), and a voice prompt comes back
 * as a voice command and is marked delivered by the watch's echo.
 */
interface Reading {
  ts: number
  lat: number | null
  lon: number | null
  bat: number | null
  steps: number | null
}

describe('watch-protocol transport against a real gateway (DESIGN §3b)', () => {
  let t: TestGateway
  let connector: WatchProtocolConnector
  let elderId: string
  let home: { lat: number; lon: number }
  let watch: WatchNumberCredentials
  let transport: LinkTransport | undefined
  const commands: Buffer[] = []

  beforeAll(async () => {
    t = await startTestGateway({ storage: 'pglite', env: { EG_WATCH_PORT: '0' } })
    const [seeded] = await seedElders(t.api, 1, { prefix: 'watch-transport' })
    elderId = seeded!.elderId
    home = seeded!.home
    // Local time at +8 h, as Chinese watches keep it: the frames must say so and the gateway read it back.
    const registered = await registerWatch(t.api, elderId, '861234567890123', 480)
    watch = { id: registered.id, imei: '861234567890123', clockOffsetMinutes: 480 }
    connector = watchProtocolConnector({ host: '127.0.0.1', port: t.watchPort! })
  })

  afterAll(async () => {
    await transport?.end()
    await t?.stop()
    await t?.drop()
  })

  const readings = async (): Promise<Reading[]> =>
    (await t.api.request<{ items: Reading[] }>('GET', `/api/v1/elders/${elderId}/telemetry?kind=watch&from=${Date.now() - 86_400_000}&limit=1000`)).items
  /** Event times on whole seconds: the protocol's clock has no finer grain. */
  const second = (msAgo: number) => Math.floor((Date.now() - msAgo) / 1000) * 1000
  const fix = (ts: number, i: number): WatchReadingBody => ({ ts, lat: home.lat + i * 1e-4, lon: home.lon, acc: 15, src: 'gps', bat: 80 - i, steps: 100 * i, hr: 70, worn: true })

  it('connects with a heartbeat; a live reading and a buffered upload are stored by the time publish resolves', async () => {
    transport = await connector(watch, { onCommand: (payload) => commands.push(payload) })
    const live = fix(second(120_000), 0)
    await transport.publish(topicOf(watch.id, 'telemetry'), JSON.stringify(live), { qos: 1 })
    // Read back at once: no polling. If publish resolved before the LK answer, this would race.
    expect((await readings()).map((r) => r.ts)).toEqual([live.ts])

    const upload = [1, 2, 3].map((i) => fix(second(600_000 - i * 60_000), i))
    await transport.publish(topicOf(watch.id, 'telemetry'), JSON.stringify(upload), { qos: 1 })
    const stored = await readings()
    expect(stored).toHaveLength(4)
    const third = stored.find((r) => r.ts === upload[2]!.ts)
    expect(third).toMatchObject({ lat: upload[2]!.lat, lon: upload[2]!.lon, bat: 77, steps: 300 })
    expect(connector.stats.frames).toMatchObject({ LK: expect.any(Number), UD: 1, UD2: 3 })
  })

  it('keeps a cell-tower fix out of the positions (the protocol cannot say how coarse it is)', async () => {
    const ts = second(90_000)
    await transport!.publish(topicOf(watch.id, 'telemetry'), JSON.stringify({ ts, lat: home.lat + 0.01, lon: home.lon, acc: 1500, src: 'lbs', bat: 60, steps: 900 }), { qos: 1 })
    const stored = (await readings()).find((r) => r.ts === ts)
    expect(stored).toMatchObject({ bat: 60, steps: 900 })
    expect(stored?.lat ?? null).toBeNull()
    expect(stored?.lon ?? null).toBeNull()
  })

  it('sends an SOS as an AL frame at the last fix: answered once stored, and the rules open safety.sos', async () => {
    const ts = second(30_000)
    await transport!.publish(topicOf(watch.id, 'event'), JSON.stringify({ ts, type: 'sos' }), { qos: 1 })
    const alert = await waitFor(
      async () => (await t.api.request<{ items: Array<{ rule: string; level: string; evidence: Record<string, unknown> }> }>('GET', `/api/v1/alerts?elderId=${elderId}`)).items.find((a) => a.rule === 'safety.sos'),
      { what: 'a safety.sos alert' },
    )
    expect(alert.level).toBe('red')
    expect(JSON.stringify(alert.evidence)).toContain(new Date(ts).toISOString().slice(0, 19))
    expect(connector.stats.frames['AL']).toBe(1)
  })

  it('sends nothing for what the protocol has no frame for (worn, power_off, status, acks), and counts it', async () => {
    const before = { ...connector.stats.frames }
    await transport!.publish(topicOf(watch.id, 'event'), JSON.stringify({ ts: second(20_000), type: 'worn' }), { qos: 1 })
    await transport!.publish(topicOf(watch.id, 'event'), JSON.stringify([{ ts: second(19_000), type: 'power_off' }]), { qos: 1 })
    await transport!.publish(topicOf(watch.id, 'status'), 'online', { qos: 1, retain: true })
    await transport!.publish(topicOf(watch.id, 'cmd/ack'), JSON.stringify({ id: 'x', status: 'played', ts: 1 }), { qos: 1 })
    expect(connector.stats.frames).toEqual(before)
    expect(connector.stats.skipped).toMatchObject({ 'event:worn': 1, 'event:power_off': 1 })
  })

  it('hands a voice prompt to onCommand as a voice command and echoes it: the gateway marks it delivered', async () => {
    const text = '请注意防范诈骗，不要参加免费讲座 📞'
    const { commandId } = await t.api.request<{ commandId: string }>('POST', `/api/v1/devices/${watch.id}/voice`, { text })
    // The SOS above has its own prompt to the elder: look for this one.
    const command = await waitFor(async () => commands.map((c) => JSON.parse(c.toString()) as VoiceCommand).find((c) => c.text === text), { what: 'the prompt at the watch' })
    expect(command).toMatchObject({ type: 'voice', text })
    expect(typeof command.id).toBe('string')
    const status = async () => (await t.api.request<{ items: Array<{ id: string; status: string }> }>('GET', `/api/v1/voice-prompts?deviceId=${watch.id}`)).items.find((p) => p.id === commandId)?.status
    await waitFor(async () => (await status()) === 'delivered', { what: 'the prompt delivered' })
    expect(connector.stats.frames['MESSAGE']).toBe(commands.length)
  })

  it('runs DeviceLink unchanged: readings kept during a planned drop go out as UD2 on reconnect', async () => {
    await transport?.end()
    transport = undefined
    const link = new DeviceLink(watch, connector, { clock: () => Date.now() })
    await link.connect()
    link.goDown()
    const kept = [4, 5].map((i) => fix(second(1_800_000 - i * 60_000), i))
    for (const body of kept) link.send({ ts: body.ts, channel: 'telemetry', body } satisfies DeviceMessage)
    expect(link.bufferedCount).toBe(2)
    const ud2 = connector.stats.frames['UD2'] ?? 0
    await link.goUp()
    await link.settled()
    expect(connector.stats.frames['UD2']).toBe(ud2 + 2)
    const stored = new Set((await readings()).map((r) => r.ts))
    for (const body of kept) expect(stored.has(body.ts)).toBe(true)
    expect(link.stats.publishErrors).toBe(0)
    await link.close()
  })

  it('is refused for a number the gateway does not know', async () => {
    await expect(connector({ id: 'nobody', imei: '869999999999999' }, { onCommand: () => undefined })).rejects.toThrow()
  })

  it('rejects what is in flight when the link drops, and reports a loss it did not cause', async () => {
    const lost: string[] = []
    const dropped = await connector(watch, { onCommand: () => undefined })
    dropped.onLost((reason) => lost.push(reason))
    const inFlight = dropped.publish(topicOf(watch.id, 'telemetry'), JSON.stringify(fix(second(40_000), 9)), { qos: 1 })
    dropped.drop()
    await expect(inFlight).rejects.toThrow()
    expect(lost).toEqual([])

    const cut = await connector(watch, { onCommand: () => undefined })
    cut.onLost((reason) => lost.push(reason))
    // A newer connection of the same watch replaces this one at the gateway (server.ts): closed under it.
    const newer = await connector(watch, { onCommand: () => undefined })
    await waitFor(async () => lost.length > 0, { what: 'the loss reported' })
    expect(lost).toEqual(['connection lost'])
    await newer.end()
  })
})
