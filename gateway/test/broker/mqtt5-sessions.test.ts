import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WATCH, startTestBroker, waitFor, type TestBroker } from './helpers'
import { RawClient } from './raw-client'

/**
 * Issue 13, "MQTT by the letter" — sessions and subscriptions: Session Present and Session
 * Expiry, the Will Delay Interval, and the subscription options (Retain Handling, No Local,
 * Retain As Published, no Subscription Identifiers, no Shared Subscriptions).
 */
const STATUS = 'eg/v1/watch-1/status'
const CMD = 'eg/v1/watch-1/cmd'
const WILL = { topic: STATUS, payload: Buffer.from('offline'), qos: 1 as const, retain: true }

let t: TestBroker
const clients: RawClient[] = []
const connect = async (protocolVersion: 4 | 5, connect: Omit<Parameters<typeof RawClient.connect>[2], 'clientId'> = {}): Promise<RawClient> => {
  const client = await RawClient.connect(t.broker.port, protocolVersion, { clientId: WATCH.deviceId, ...connect })
  clients.push(client)
  return client
}
const v5 = (clean: boolean, sessionExpiryInterval?: number, extra: Omit<Parameters<typeof RawClient.connect>[2], 'clientId'> = {}) =>
  connect(5, { clean, ...(sessionExpiryInterval === undefined ? {} : { properties: { sessionExpiryInterval } }), ...extra })
const sessionPresent = async (client: RawClient): Promise<boolean> => (await client.next('connack')).sessionPresent
const subscribe = async (client: RawClient, topic: string, options: { rh?: number; nl?: boolean; rap?: boolean } = {}): Promise<void> => {
  const messageId = client.packets.length + 1
  client.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos: 1, ...options }] })
  await client.next('suback', (p) => p.messageId === messageId)
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const offlineWills = () => t.received.filter((m) => m.channel === 'status' && m.payload === 'offline').length

beforeEach(async () => {
  t = await startTestBroker()
})
afterEach(async () => {
  for (const client of clients.splice(0)) client.drop()
  await t.broker.close()
})

describe('Session Present and Session Expiry', () => {
  it('Clean Start 0 with Session Expiry 0: the session ended with the last connection, so Session Present is 0', async () => {
    const first = await v5(false)
    await subscribe(first, CMD)
    await first.disconnect()
    const second = await v5(false)
    expect(await sessionPresent(second)).toBe(false)
    // and nothing of the old session is left: no subscription, nothing queued
    await t.broker.sendCommand(WATCH.deviceId, { id: 'c1' })
    await second.ping()
    expect(second.published()).toEqual([])
  })

  it('a session with an expiry is resumed (Session Present 1, queued messages delivered) until Clean Start 1 ends it', async () => {
    const first = await v5(false, 60)
    await subscribe(first, CMD)
    await first.disconnect()
    await t.broker.sendCommand(WATCH.deviceId, { id: 'while-away' })

    const resumed = await v5(false, 60)
    expect(await sessionPresent(resumed)).toBe(true)
    expect((await resumed.next('publish')).payload.toString()).toContain('while-away')
    await resumed.disconnect()
    await t.broker.sendCommand(WATCH.deviceId, { id: 'queued-for-a-session-about-to-end' })

    const fresh = await v5(true, 60)
    expect(await sessionPresent(fresh)).toBe(false)
    await fresh.ping()
    expect(fresh.published()).toEqual([])
  })

  it('a session with nothing in it still exists: Session Present 1', async () => {
    const first = await v5(false, 60)
    await first.disconnect()
    expect(await sessionPresent(await v5(false, 60))).toBe(true)
  })

  it('the session expires after its interval', async () => {
    const first = await v5(false, 1)
    await subscribe(first, CMD)
    await first.disconnect()
    await sleep(1_300)
    await t.broker.sendCommand(WATCH.deviceId, { id: 'after-expiry' })
    const later = await v5(false, 1)
    expect(await sessionPresent(later)).toBe(false)
    await later.ping()
    expect(later.published()).toEqual([])
  })

  it('DISCONNECT may shorten the expiry to 0 but not raise it from 0 (protocol error 0x82)', async () => {
    const shortened = await v5(false, 60)
    await subscribe(shortened, CMD)
    shortened.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } })
    await shortened.waitClosed()
    expect(await sessionPresent(await v5(false, 0))).toBe(false)

    const raised = await v5(false, 0)
    raised.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } })
    expect(await raised.next('disconnect')).toMatchObject({ reasonCode: 0x82 })
  })

  it('3.1.1 keeps its semantics: clean session 0 is kept for good', async () => {
    const first = await connect(4, { clean: false })
    await subscribe(first, CMD)
    await first.disconnect()
    expect(await sessionPresent(await connect(4, { clean: false }))).toBe(true)
  })
})

describe('Will Delay Interval', () => {
  it('the will waits for its delay', async () => {
    const client = await v5(false, 60, { will: { ...WILL, properties: { willDelayInterval: 1 } } })
    const dropped = Date.now()
    client.drop()
    await sleep(400)
    expect(offlineWills()).toBe(0)
    await waitFor(() => offlineWills() === 1, 'the delayed will', 3_000)
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(900)
  })

  it('is not sent when the device is back in time with its session [MQTT-3.1.3-9]', async () => {
    ;(await v5(false, 60, { will: { ...WILL, properties: { willDelayInterval: 1 } } })).drop()
    await sleep(200)
    await v5(false, 60)
    await sleep(1_300)
    expect(offlineWills()).toBe(0)
  })

  it('is sent at once when the session ends first: Clean Start on return, or Session Expiry 0', async () => {
    ;(await v5(false, 60, { will: { ...WILL, properties: { willDelayInterval: 30 } } })).drop()
    await sleep(200)
    expect(offlineWills()).toBe(0)
    await v5(true, 0)
    expect(offlineWills()).toBe(1)

    ;(await v5(false, 0, { will: { ...WILL, properties: { willDelayInterval: 30 } } })).drop()
    await waitFor(() => offlineWills() === 2, 'the will of a session that ended with its connection', 1_000)
  })

  it('a pending will goes out when the broker shuts down (the session ends with it)', async () => {
    ;(await v5(false, 60, { will: { ...WILL, properties: { willDelayInterval: 30 } } })).drop()
    await sleep(200)
    await t.broker.close()
    expect(offlineWills()).toBe(1)
  })
})

describe('subscription options', () => {
  it('Retain Handling: 0 sends retained messages, 1 only for a new subscription, 2 never', async () => {
    const client = await v5(true)
    client.send({ cmd: 'publish', topic: STATUS, payload: 'online', qos: 1, messageId: 100, retain: true, dup: false })
    await client.next('puback')
    const retainedAfter = async (topic: string, rh: number): Promise<number> => {
      const before = client.published().length
      await subscribe(client, topic, { rh })
      await client.ping()
      return client.published().length - before
    }
    expect(await retainedAfter(STATUS, 2)).toBe(0)
    expect(await retainedAfter('eg/v1/watch-1/#', 1)).toBe(1) // new subscription
    expect(await retainedAfter('eg/v1/watch-1/#', 1)).toBe(0) // it existed
    expect(await retainedAfter('eg/v1/watch-1/#', 0)).toBe(1)
    expect(await retainedAfter('eg/v1/watch-1/+', 2)).toBe(0)
    expect(client.published().every((p) => p.retain)).toBe(true)
  })

  it('No Local and Retain As Published are honoured', async () => {
    const client = await v5(true)
    await subscribe(client, 'eg/v1/watch-1/telemetry', { nl: true })
    await subscribe(client, STATUS, { rap: true })
    client.send({ cmd: 'publish', topic: 'eg/v1/watch-1/telemetry', payload: '{"ts":1}', qos: 1, messageId: 50, retain: false, dup: false })
    client.send({ cmd: 'publish', topic: STATUS, payload: 'online', qos: 1, messageId: 51, retain: true, dup: false })
    const status = await client.next('publish')
    await client.ping()
    expect(client.published()).toHaveLength(1) // its own telemetry did not come back
    expect(status).toMatchObject({ topic: STATUS, retain: true })
  })

  it('a Subscription Identifier gets DISCONNECT 0xA1, a shared subscription 0x9E (both declared unavailable)', async () => {
    const withId = await v5(true)
    withId.send({ cmd: 'subscribe', messageId: 1, properties: { subscriptionIdentifier: 7 }, subscriptions: [{ topic: CMD, qos: 1 }] })
    expect(await withId.next('disconnect')).toMatchObject({ reasonCode: 0xa1 })
    const shared = await v5(true)
    shared.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `$share/g/${CMD}`, qos: 1 }] })
    expect(await shared.next('disconnect')).toMatchObject({ reasonCode: 0x9e })
  })
})
