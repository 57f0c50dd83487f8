import type { MqttClient } from 'mqtt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EgError } from '../../src/errors'
import { createLogger } from '../../src/logger'
import { createMetrics } from '../../src/metrics'
import { startBroker } from '../../src/broker/index'
import {
  CAMERA, SECRETS, WATCH, connectDevice, deniedCount, deviceOptions, endClient, refusedConnackCode, refusedCount,
  startTestBroker, waitFor, type TestBroker,
} from './helpers'

let t: TestBroker
const clients: MqttClient[] = []
const track = (client: MqttClient): MqttClient => (clients.push(client), client)

beforeEach(async () => {
  t = await startTestBroker()
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((resolve) => c.end(true, {}, () => resolve()))))
  await t.broker.close()
})

describe.each([4, 5] as const)('MQTT protocol level %i', (protocolVersion) => {
  it('a valid device connects, publishes QoS 0 and 1, and onMessage gets identity, channel and payload', async () => {
    const client = track(await connectDevice(t.url, deviceOptions(WATCH, { protocolVersion })))
    await waitFor(() => t.broker.isConnected(WATCH.deviceId), 'the broker to register the device')
    expect(t.broker.connectedDevices()).toBe(1)
    expect((await t.metrics.connectedDevices.get()).values[0]?.value).toBe(1)

    client.publish('eg/v1/watch-1/telemetry', '{"ts":1,"hr":72}', { qos: 0 })
    await client.publishAsync('eg/v1/watch-1/event', '{"ts":2,"type":"sos"}', { qos: 1 })
    await waitFor(() => t.received.length === 2, 'two messages')
    expect(t.received).toEqual([
      { device: WATCH, channel: 'telemetry', payload: '{"ts":1,"hr":72}', qos: 0 },
      { device: WATCH, channel: 'event', payload: '{"ts":2,"type":"sos"}', qos: 1 },
    ])
    expect(t.events).toEqual(['connect:watch-1'])

    await endClient(client)
    await waitFor(() => !t.broker.isConnected(WATCH.deviceId), 'the device to be unregistered')
    expect(t.events).toEqual(['connect:watch-1', 'disconnect:watch-1'])
    expect((await t.metrics.connectedDevices.get()).values[0]?.value).toBe(0)
  })

  it('the QoS 1 PUBACK waits for the onMessage promise', async () => {
    let release: () => void = () => {}
    t.onMessage = () => new Promise<void>((resolve) => (release = resolve))
    const client = track(await connectDevice(t.url, deviceOptions(WATCH, { protocolVersion })))
    let acked = false
    client.publish('eg/v1/watch-1/telemetry', '{"ts":1}', { qos: 1 }, () => (acked = true))
    await waitFor(() => t.received.length === 1, 'onMessage to be called')

    // A barrier instead of a sleep: a full QoS 1 round trip by another device through the same
    // broker. Had the broker acked the held message, its PUBACK would have been written first.
    t.onMessage = undefined
    const other = track(await connectDevice(t.url, deviceOptions(CAMERA, { protocolVersion })))
    await other.publishAsync('eg/v1/cam-2/telemetry', '{"ts":1}', { qos: 1 })
    expect(acked).toBe(false)

    release()
    await waitFor(() => acked, 'the PUBACK after release')
  })

  it('a rejected onMessage disconnects the device without PUBACK', async () => {
    t.onMessage = () => Promise.reject(new Error('writer buffer full'))
    const client = track(await connectDevice(t.url, deviceOptions(WATCH, { protocolVersion })))
    let acked = false
    let closed = false
    client.on('close', () => (closed = true))
    client.publish('eg/v1/watch-1/telemetry', '{"ts":1}', { qos: 1 }, (err) => (acked = err === undefined))
    await waitFor(() => closed, 'the broker to close the connection')
    expect(acked).toBe(false)
  })

  it.each([
    ['wrong password', { password: 'guess' }, 'bad_credentials'],
    ['unknown device', { clientId: 'ghost', username: 'ghost', password: 'x' }, 'bad_credentials'],
    ['clientId different from username', { clientId: 'cam-2' }, 'client_id_mismatch'],
    ['missing credentials', { username: undefined, password: undefined }, 'missing_credentials'],
  ])('refuses %s with CONNACK not authorized', async (_name, override, reason) => {
    const code = await refusedConnackCode(t.url, { ...deviceOptions(WATCH, { protocolVersion }), ...override })
    expect(code).toBe(protocolVersion === 5 ? 0x87 : 5)
    expect(await refusedCount(t.metrics, reason)).toBe(1)
    const log = t.logLines.join('')
    expect(log).toContain('mqtt connection refused')
    expect(log).toContain(`"reason":"${reason}"`)
    expect(log).toContain('"remoteAddress":"127.0.0.1"')
    for (const secret of ['guess', SECRETS['watch-1'] ?? '']) expect(log).not.toContain(secret)
    expect(t.broker.connectedDevices()).toBe(0)
  })

  it('cross-device publish is dropped and the device disconnected', async () => {
    const client = track(await connectDevice(t.url, deviceOptions(WATCH, { protocolVersion })))
    let closed = false
    client.on('close', () => (closed = true))
    client.publish('eg/v1/cam-2/telemetry', '{"ts":1}', { qos: 0 })
    await waitFor(() => closed, 'the broker to close the connection')
    expect(t.received).toEqual([])
    expect(await deniedCount(t.metrics, 'publish')).toBe(1)
  })

  it('$SYS publishes are refused', async () => {
    const client = track(await connectDevice(t.url, deviceOptions(WATCH, { protocolVersion })))
    let closed = false
    client.on('close', () => (closed = true))
    client.publish('$SYS/fake/new/clients', 'x', { qos: 0 })
    await waitFor(() => closed, 'the broker to close the connection')
    expect(await deniedCount(t.metrics, 'publish')).toBe(1)
  })

  it('cross-device and wildcard subscribes get SUBACK 0x80; own cmd works and receives sendCommand', async () => {
    const client = track(await connectDevice(t.url, deviceOptions(WATCH, { protocolVersion })))
    // mqtt.js turns any 0x80 into a rejected subscribe: read the SUBACK itself.
    const suback = new Promise<number[]>((resolve) =>
      client.on('packetreceive', (packet) => {
        if (packet.cmd === 'suback') resolve(packet.granted.map((g) => (typeof g === 'number' ? g : -1)))
      }),
    )
    client.subscribe(['eg/v1/cam-2/cmd', 'eg/v1/+/cmd', '#', 'eg/v1/watch-1/cmd'], { qos: 1 }, () => {})
    expect(await suback).toEqual([0x80, 0x80, 0x80, 1])
    expect(await deniedCount(t.metrics, 'subscribe')).toBe(3)

    const got = new Promise<{ topic: string; payload: string; qos: number; retain: boolean }>((resolve) =>
      client.once('message', (topic, payload, packet) => resolve({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain })),
    )
    await t.broker.sendCommand('watch-1', { id: 'c1', type: 'voice', text: '请注意', lang: 'zh-CN' })
    expect(await got).toEqual({
      topic: 'eg/v1/watch-1/cmd',
      payload: JSON.stringify({ id: 'c1', type: 'voice', text: '请注意', lang: 'zh-CN' }),
      qos: 1,
      retain: false,
    })
    // the connection is still up after the refused filters
    await client.publishAsync('eg/v1/watch-1/cmd/ack', '{"id":"c1","status":"played"}', { qos: 1 })
    expect(t.received.at(-1)?.channel).toBe('cmd/ack')
  })

  it('a device subscribed under its own prefix still gets its own messages back (only messages nobody can receive skip routing)', async () => {
    const client = track(await connectDevice(t.url, deviceOptions(WATCH, { protocolVersion })))
    const echoed: string[] = []
    client.on('message', (topic, payload) => echoed.push(`${topic} ${payload.toString()}`))
    // Unsubscribed: consumed by the gateway, routed to nobody.
    await client.publishAsync('eg/v1/watch-1/telemetry', '{"ts":1}', { qos: 1 })
    await client.subscribeAsync('eg/v1/watch-1/+', { qos: 1 })
    await client.publishAsync('eg/v1/watch-1/telemetry', '{"ts":2}', { qos: 1 })
    await client.publishAsync('eg/v1/watch-1/event', '{"ts":3,"type":"sos"}', { qos: 0 })
    await waitFor(() => echoed.length === 2, 'both messages published after the subscription, back to the device')
    expect(echoed).toEqual(['eg/v1/watch-1/telemetry {"ts":2}', 'eg/v1/watch-1/event {"ts":3,"type":"sos"}'])
    expect(t.received.map((m) => m.payload)).toEqual(['{"ts":1}', '{"ts":2}', '{"ts":3,"type":"sos"}'])
  })

  it('status will: retained offline reaches onMessage when the device drops', async () => {
    const will = { topic: 'eg/v1/watch-1/status', payload: Buffer.from('offline'), qos: 1 as const, retain: true }
    const client = track(await connectDevice(t.url, deviceOptions(WATCH, { protocolVersion, will })))
    await client.publishAsync('eg/v1/watch-1/status', 'online', { qos: 1, retain: true })
    client.stream.destroy() // a dropped mobile link: no DISCONNECT, so the will fires
    await waitFor(() => t.received.some((m) => m.payload === 'offline'), 'the will')
    expect(t.received.map((m) => [m.channel, m.payload])).toEqual([
      ['status', 'online'],
      ['status', 'offline'],
    ])
    // aedes keeps the retained will: the device sees it when it subscribes to its own status
    const again = track(await connectDevice(t.url, deviceOptions(WATCH, { protocolVersion })))
    const retained = new Promise<string>((resolve) => again.once('message', (_topic, payload) => resolve(payload.toString())))
    await again.subscribeAsync('eg/v1/watch-1/status', { qos: 1 })
    expect(await retained).toBe('offline')
  })
})

it('throttle: after N bad passwords from one address the right one from there is refused too, until the wait ends', async () => {
  await t.broker.close()
  t = await startTestBroker({ authThrottle: { maxFailures: 3, windowMs: 10_000, blockMs: 400 } })
  for (let i = 0; i < 3; i++) {
    expect(await refusedConnackCode(t.url, deviceOptions(WATCH, { password: 'guess-' + i }))).toBe(5)
  }
  const verifiedBefore = t.verifyCalls.length
  expect(await refusedConnackCode(t.url, deviceOptions(WATCH))).toBe(5)
  expect(await refusedCount(t.metrics, 'throttled')).toBe(1)
  expect(t.verifyCalls.length).toBe(verifiedBefore) // refused before the secret was checked
  expect(t.logLines.join('')).not.toContain(SECRETS['watch-1'])
  // The log says what was throttled: this id, from this address, and for how long.
  const throttledLine = t.logLines.find((l) => l.includes('"reason":"throttled"')) ?? ''
  expect(JSON.parse(throttledLine)).toMatchObject({ deviceId: 'watch-1', remoteAddress: '127.0.0.1', scope: 'pair' })
  expect(t.logLines.some((l) => l.includes('this id from this address waits'))).toBe(true)

  const blockedAt = Date.now()
  let client: MqttClient | undefined
  // Retry until the block expires; every attempt before then must be refused as throttled.
  while (client === undefined) {
    try {
      client = track(await connectDevice(t.url, deviceOptions(WATCH)))
    } catch {
      expect(Date.now() - blockedAt).toBeLessThan(2_000)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  expect(Date.now() - blockedAt).toBeGreaterThanOrEqual(300)
})

it('a device connecting twice takes over its session and the count stays right', async () => {
  const first = track(await connectDevice(t.url, deviceOptions(WATCH)))
  let firstClosed = false
  first.on('close', () => (firstClosed = true))
  track(await connectDevice(t.url, deviceOptions(WATCH)))
  await waitFor(() => firstClosed, 'the first connection to be closed')
  expect(t.broker.connectedDevices()).toBe(1)
  expect(t.broker.isConnected('watch-1')).toBe(true)
})

it('a second broker on a used port fails with PORT_IN_USE', async () => {
  const err = await startBroker(
    { port: t.broker.port, host: '127.0.0.1', logger: createLogger('silent'), metrics: createMetrics(), authThrottle: { maxFailures: 5, windowMs: 1, blockMs: 1 } },
    { verifyDevice: async () => null, onMessage: () => {} },
  ).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(EgError)
  expect((err as EgError).code).toBe('PORT_IN_USE')
  expect((err as EgError).message).toBe(`MQTT port ${t.broker.port} is already in use — set EG_MQTT_PORT`)
})

it('sendCommand refuses ids that would be wildcards', async () => {
  await expect(t.broker.sendCommand('+', { id: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' })
})
