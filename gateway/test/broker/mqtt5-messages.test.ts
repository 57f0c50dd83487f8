import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { MessageOutcome } from '../../src/broker/index'
import { CAMERA, WATCH, startTestBroker, waitFor, type TestBroker } from './helpers'
import { RawClient } from './raw-client'

/**
 * Issue 13, "MQTT by the letter" — messages: what a refused message gets (PUBACK reason codes,
 * nothing routed or retained), the two Maximum Packet Sizes, malformed UTF-8 in topics, and what
 * CONNACK declares. Packet-level clients, so every reason code and flag is read off the wire.
 */
const MAX_PAYLOAD = 4_096
/** declaredMaxPacketBytes(MAX_PAYLOAD): the payload limit plus 64 KiB for topic and properties. */
const DECLARED_MAX = MAX_PAYLOAD + 65_536
const STATUS = 'eg/v1/watch-1/status'
const TELEMETRY = 'eg/v1/watch-1/telemetry'

let t: TestBroker
const clients: RawClient[] = []
const open = async (protocolVersion: 4 | 5, connect: Parameters<typeof RawClient.connect>[2] = { clientId: WATCH.deviceId }): Promise<RawClient> => {
  const client = await RawClient.connect(t.broker.port, protocolVersion, connect)
  clients.push(client)
  return client
}
/** Refuses payloads starting with "bad" (format) or "big" (quota), like the intake would. */
const refusing = (payload: Buffer): MessageOutcome => {
  const text = payload.toString()
  if (text.startsWith('bad')) return { refused: 'payload_format_invalid' }
  if (text.startsWith('big')) return { refused: 'quota_exceeded' }
}

beforeEach(async () => {
  t = await startTestBroker({ maxPayloadBytes: MAX_PAYLOAD })
})
afterEach(async () => {
  for (const client of clients.splice(0)) client.drop()
  await t.broker.close()
})

describe('CONNACK', () => {
  it('declares what MQTT 5 clients get and do not get', async () => {
    const client = await open(5)
    const connack = await client.next('connack')
    expect(connack).toMatchObject({ reasonCode: 0, sessionPresent: false })
    expect(connack.properties).toEqual({
      maximumPacketSize: DECLARED_MAX,
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: false,
      sharedSubscriptionAvailable: false,
    })
    // No Topic Alias Maximum: absent means 0, none granted.
    expect(connack.properties?.topicAliasMaximum).toBeUndefined()
  })
})

describe('refused messages', () => {
  it('MQTT 5: PUBACK 0x99 for a bad payload, 0x97 over a limit, 0x00 when taken; for a promise too', async () => {
    t.onMessage = (_device, _channel, payload) => (payload.toString().endsWith('later') ? Promise.resolve(refusing(payload)) : refusing(payload))
    const client = await open(5)
    client.send({ cmd: 'publish', topic: TELEMETRY, payload: 'bad json', qos: 1, messageId: 1, retain: false, dup: false })
    client.send({ cmd: 'publish', topic: TELEMETRY, payload: 'big upload', qos: 1, messageId: 2, retain: false, dup: false })
    client.send({ cmd: 'publish', topic: TELEMETRY, payload: '{"ts":1}', qos: 1, messageId: 3, retain: false, dup: false })
    client.send({ cmd: 'publish', topic: TELEMETRY, payload: 'bad, answered later', qos: 1, messageId: 4, retain: false, dup: false })
    const reason = async (messageId: number): Promise<number | undefined> => (await client.next('puback', (p) => p.messageId === messageId)).reasonCode
    expect(await reason(1)).toBe(0x99)
    expect(await reason(2)).toBe(0x97)
    expect(await reason(3) ?? 0).toBe(0)
    expect(await reason(4)).toBe(0x99)
    expect(t.received.map((m) => m.payload)).toEqual(['bad json', 'big upload', '{"ts":1}', 'bad, answered later'])
  })

  it('3.1.1: the PUBACK stays plain (3.1.1 has no reason code) — the message is dead-lettered, so its fate is durable', async () => {
    t.onMessage = (_device, _channel, payload) => refusing(payload)
    const client = await open(4)
    client.send({ cmd: 'publish', topic: TELEMETRY, payload: 'bad json', qos: 1, messageId: 7, retain: false, dup: false })
    const puback = await client.next('puback')
    expect(puback).toMatchObject({ messageId: 7 })
    expect(puback.reasonCode).toBeUndefined()
    expect(puback.length).toBe(2)
  })

  describe.each([4, 5] as const)('protocol level %i', (protocolVersion) => {
    it('a refused retained message is neither routed nor kept; an accepted one is', async () => {
      t.onMessage = (_device, _channel, payload) => refusing(payload)
      const listener = await open(protocolVersion, { clientId: CAMERA.deviceId })
      const device = await open(protocolVersion)
      device.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: STATUS, qos: 1 }] })
      await device.next('suback')
      device.send({ cmd: 'publish', topic: STATUS, payload: 'big '.repeat(1_000), qos: 1, messageId: 2, retain: true, dup: false })
      device.send({ cmd: 'publish', topic: STATUS, payload: 'bad status', qos: 0, retain: true, dup: false })
      await device.next('puback', (p) => p.messageId === 2)
      await device.ping()
      expect(device.published()).toEqual([]) // not delivered to the live subscription

      const later = await open(protocolVersion, { clientId: WATCH.deviceId })
      later.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: STATUS, qos: 1 }] })
      await later.next('suback')
      await later.ping()
      expect(later.published()).toEqual([]) // nor kept as the retained message

      later.send({ cmd: 'publish', topic: STATUS, payload: 'online', qos: 1, messageId: 3, retain: true, dup: false })
      expect((await later.next('publish')).payload.toString()).toBe('online')
      expect(listener.published()).toEqual([])
    })
  })

  it('MQTT 5: a publish outside the ACL gets DISCONNECT 0x87 before the connection closes', async () => {
    const client = await open(5)
    client.send({ cmd: 'publish', topic: 'eg/v1/cam-2/telemetry', payload: '{}', qos: 1, messageId: 1, retain: false, dup: false })
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x87 })
    await client.waitClosed()
    expect(client.packets.some((p) => p.cmd === 'puback')).toBe(false)
  })

  it('MQTT 5: a message the gateway could not store gets DISCONNECT 0x89 and no PUBACK (the device resends)', async () => {
    t.onMessage = () => Promise.reject(new Error('writer buffer full'))
    const client = await open(5)
    client.send({ cmd: 'publish', topic: TELEMETRY, payload: '{"ts":1}', qos: 1, messageId: 1, retain: false, dup: false })
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x89 })
    await client.waitClosed()
    expect(client.packets.some((p) => p.cmd === 'puback')).toBe(false)
  })
})

describe('Maximum Packet Size', () => {
  it('a packet over the declared size gets DISCONNECT 0x95, is counted as oversize, and is neither handled nor kept', async () => {
    const client = await open(5)
    client.send({ cmd: 'publish', topic: STATUS, payload: Buffer.alloc(2 * 1024 * 1024, 0x6f), qos: 1, messageId: 1, retain: true, dup: false })
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x95, properties: { reasonString: expect.stringContaining('Maximum Packet Size') } })
    await client.waitClosed()
    expect(t.received).toEqual([])
    expect((await t.metrics.messagesRejected.get()).values.find((v) => v.labels.reason === 'oversize')?.value).toBe(1)
    expect(t.logLines.join('')).toContain('"violation":"packet_too_large"')

    const later = await open(5)
    later.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: STATUS, qos: 1 }] })
    await later.next('suback')
    await later.ping()
    expect(later.published()).toEqual([])
  })

  it('nothing larger than the client’s own Maximum Packet Size is sent to it; the QoS 1 flow goes on', async () => {
    const client = await open(5, { clientId: WATCH.deviceId, properties: { maximumPacketSize: 200 } })
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'eg/v1/watch-1/cmd', qos: 1 }] })
    await client.next('suback')
    await t.broker.sendCommand(WATCH.deviceId, { id: 'c1', text: 'short' })
    await t.broker.sendCommand(WATCH.deviceId, { id: 'c2', text: 'x'.repeat(300) })
    await t.broker.sendCommand(WATCH.deviceId, { id: 'c3', text: 'short again' })
    await client.next('publish', (p) => p.payload.toString().includes('c3'))
    await client.ping()
    expect(client.published().map((p) => JSON.parse(p.payload.toString()).id)).toEqual(['c1', 'c3'])
    expect(client.packets.every((p) => (p.length ?? 0) + 3 <= 200)).toBe(true) // remaining length + at most 3 header bytes
  })
})

describe('malformed UTF-8 closes the connection [MQTT-1.5.3-1] [MQTT-1.5.4-1]', () => {
  // A SUBSCRIBE for eg/v1/watch-1/<0xFF>, written byte by byte: mqtt-packet would re-encode a string.
  const badSubscribe = (v5: boolean): Buffer => {
    const filter = Buffer.concat([Buffer.from('eg/v1/watch-1/'), Buffer.from([0xff])])
    const body = Buffer.concat([Buffer.from([0, 9]), ...(v5 ? [Buffer.from([0])] : []), Buffer.from([0, filter.length]), filter, Buffer.from([1])])
    return Buffer.concat([Buffer.from([0x82, body.length]), body])
  }
  const badPublish = (): Buffer => {
    const topic = Buffer.concat([Buffer.from('eg/v1/watch-1/'), Buffer.from([0xed, 0xa0, 0x80])]) // an encoded surrogate
    const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from('{"ts":1}')])
    return Buffer.concat([Buffer.from([0x30, body.length]), body])
  }

  it('3.1.1: a subscription with a malformed filter is not accepted: no SUBACK, closed', async () => {
    const client = await open(4)
    client.sendBytes(badSubscribe(false))
    await client.waitClosed()
    expect(client.packets.map((p) => p.cmd)).toEqual(['connack'])
    expect(t.logLines.join('')).toContain('"violation":"malformed_utf8"')
  })

  it('MQTT 5: DISCONNECT 0x81 Malformed Packet, for a filter and for a topic name', async () => {
    const subscriber = await open(5)
    subscriber.sendBytes(badSubscribe(true))
    expect(await subscriber.next('disconnect')).toMatchObject({ reasonCode: 0x81 })
    await subscriber.waitClosed()
    expect(subscriber.packets.some((p) => p.cmd === 'suback')).toBe(false)

    const publisher = await open(5)
    publisher.sendBytes(badPublish())
    expect(await publisher.next('disconnect')).toMatchObject({ reasonCode: 0x81 })
    await publisher.waitClosed()
    expect(t.received).toEqual([])
  })

  it('3.1.1: a malformed topic name is never handed on', async () => {
    const client = await open(4)
    client.sendBytes(badPublish())
    await client.waitClosed()
    await waitFor(() => t.logLines.join('').includes('malformed_utf8'), 'the violation to be logged')
    expect(t.received).toEqual([])
  })
})
