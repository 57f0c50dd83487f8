import { rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { toolSuite } from '../../../test/support/tools'
import { findCommand, findPahoPython, run, runPaho, type PahoEvent } from '../broker/peers/peers'

/**
 * Issue 13 item 5, "MQTT by the letter", through a real gateway (intake, dead letters, storage)
 * with MQTT clients nobody here wrote: Debian's mosquitto_pub/mosquitto_sub (`-d` prints every
 * packet and reason code they get) and Eclipse paho-mqtt for Python. What they report is what
 * a third-party stack read off the wire.
 */
const mosquittoPub = findCommand('mosquitto_pub', 'apt-get install mosquitto-clients')
const mosquittoSub = findCommand('mosquitto_sub', 'apt-get install mosquitto-clients')
const pahoPython = findPahoPython()
const suite = toolSuite('MQTT by the letter with mosquitto clients and paho-mqtt', mosquittoPub, mosquittoSub, pahoPython)

describe.skipIf(suite.skip)(suite.title, () => {
  let t: TestGateway
  let watch: SeededDevice
  let other: SeededDevice
  const python = pahoPython.url ?? 'python3'
  const pub = (device: SeededDevice, version: 'mqttv5' | 'mqttv311', args: string[]) =>
    run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(t.gateway.mqttPort), '-V', version, '-i', device.id, '-u', device.id, '-P', device.secret, '-q', '1', '-d', ...args])
  const sub = (device: SeededDevice, args: string[]) =>
    run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(t.gateway.mqttPort), '-V', 'mqttv5', '-i', device.id, '-u', device.id, '-P', device.secret, '-q', '1', '-d', ...args])
  const paho = (device: SeededDevice, scenario: Omit<Parameters<typeof runPaho>[1], 'port' | 'clientId' | 'password'>) =>
    runPaho(python, { port: t.gateway.mqttPort, clientId: device.id, password: device.secret, ...scenario })
  const letters = async (device: SeededDevice): Promise<string[]> =>
    (await t.api.request<{ items: Array<{ reason: string }> }>('GET', `/api/v1/dead-letters?deviceId=${encodeURIComponent(device.id)}`)).items.map((l) => l.reason)
  const acceptedStatus = async (): Promise<number> =>
    (await t.gateway.metrics.messagesAccepted.get()).values.find((v) => v.labels.channel === 'status')?.value ?? 0
  const connack = (events: PahoEvent[]) => events.find((e): e is Extract<PahoEvent, { event: 'connack' }> => e.event === 'connack')
  const messages = (events: PahoEvent[]) => events.filter((e): e is Extract<PahoEvent, { event: 'message' }> => e.event === 'message')

  beforeAll(async () => {
    suite.check()
    t = await startTestGateway({ storage: 'pglite' })
    ;[watch, other] = (await seedElders(t.api, 2)) as [SeededDevice, SeededDevice]
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  it('mosquitto_pub -V mqttv5: a malformed payload gets PUBACK 0x99 and is dead-lettered; a good one 0x00', async () => {
    const bad = await pub(watch, 'mqttv5', ['-t', `eg/v1/${watch.id}/telemetry`, '-m', 'not json'])
    expect(bad.output).toMatch(/received PUBACK \(Mid: 1, RC:153\)/)
    const good = await pub(watch, 'mqttv5', ['-t', `eg/v1/${watch.id}/telemetry`, '-m', JSON.stringify({ ts: Date.now(), hr: 71 })])
    expect(good.output).toMatch(/received PUBACK \(Mid: 1, RC:0\)/)
    await t.gateway.settle()
    expect(await letters(watch)).toEqual(['not_json'])
  })

  it('mosquitto_pub -V mqttv311: the PUBACK of a refused message is a plain PUBACK (no reason code in 3.1.1), the message dead-lettered', async () => {
    const bad = await pub(other, 'mqttv311', ['-t', `eg/v1/${other.id}/event`, '-m', '{"type": 42}'])
    expect(bad.output).toMatch(/received PUBACK \(Mid: 1, RC:0\)/)
    await t.gateway.settle()
    expect(await letters(other)).toEqual(['bad_shape'])
  })

  it('a 2 MiB retained status is neither kept nor delivered: 3.1.1 gets its PUBACK, mosquitto 5 does not even send it, paho 5 gets DISCONNECT 0x95', async () => {
    const file = join(tmpdir(), `eg-2mib-${process.pid}.txt`)
    await writeFile(file, 'o'.repeat(2 * 1024 * 1024))
    const status = `eg/v1/${watch.id}/status`

    const v311 = await pub(watch, 'mqttv311', ['-r', '-t', status, '-f', file])
    expect(v311.output).toMatch(/received PUBACK/)
    // mosquitto reads the Maximum Packet Size in our CONNACK and keeps the packet to itself.
    const v5 = await pub(watch, 'mqttv5', ['-r', '-t', status, '-f', file])
    await rm(file, { force: true })
    expect(v5.output).not.toMatch(/sending PUBLISH/)
    const viaPaho = await paho(watch, { steps: [{ op: 'publish', topic: status, payloadBytes: 2 * 1024 * 1024, retain: true }, { op: 'sleep', seconds: 2 }] })
    expect(viaPaho).toContainEqual({ event: 'disconnect', reason: 0x95 })

    await t.gateway.settle()
    expect(await letters(watch)).toContain('oversize')
    // Nothing retained: a subscriber sees no message within its 2 s (exit 27: timed out).
    const listen = await sub(watch, ['-t', status, '-W', '2', '-C', '1'])
    expect(listen.output).not.toMatch(/received PUBLISH/)
    expect(listen.code).toBe(27)
  })

  it('CONNACK declares the limits and what is not offered; paho honours Retain Handling 2 and 0', async () => {
    const status = `eg/v1/${other.id}/status`
    await pub(other, 'mqttv5', ['-r', '-t', status, '-m', 'online'])
    const events = await paho(other, {
      steps: [
        { op: 'subscribe', topic: status, rh: 2 },
        { op: 'sleep', seconds: 0.5 },
        { op: 'subscribe', topic: `eg/v1/${other.id}/#`, rh: 0 },
        { op: 'sleep', seconds: 0.5 },
      ],
    })
    expect(connack(events)?.properties).toEqual({
      MaximumPacketSize: 512 * 1024 + 64 * 1024,
      RetainAvailable: 1,
      WildcardSubscriptionAvailable: 1,
      SubscriptionIdentifierAvailable: 0,
      SharedSubscriptionAvailable: 0,
    })
    // One retained message, from the Retain Handling 0 subscription only.
    expect(messages(events)).toEqual([{ event: 'message', topic: status, size: 6, payload: 'online', qos: 1, retain: true }])
  })

  it('Subscription Identifiers (declared unavailable) end the connection with 0xA1 — paho and mosquitto_sub alike', async () => {
    const events = await paho(watch, { steps: [{ op: 'subscribe', topic: `eg/v1/${watch.id}/cmd`, properties: { SubscriptionIdentifier: 5 } }, { op: 'sleep', seconds: 1 }] })
    expect(events).toContainEqual({ event: 'disconnect', reason: 0xa1 })
    const viaMosquitto = await sub(watch, ['-t', `eg/v1/${watch.id}/cmd`, '-D', 'subscribe', 'subscription-identifier', '5', '-W', '3'])
    expect(viaMosquitto.output).toMatch(/Received DISCONNECT \(161\)/)
  })

  it('paho Session Expiry: Clean Start 0 with expiry 0 finds no session; with an expiry it does', async () => {
    const noExpiry = { cleanStart: false, steps: [{ op: 'disconnect' }] }
    await paho(other, noExpiry)
    expect(connack(await paho(other, noExpiry))?.sessionPresent).toBe(false)
    const withExpiry = { cleanStart: false, connect: { SessionExpiryInterval: 60 }, steps: [{ op: 'disconnect' }] }
    await paho(other, withExpiry)
    expect(connack(await paho(other, withExpiry))?.sessionPresent).toBe(true)
    // end it, so later tests start clean
    await paho(other, { cleanStart: true, steps: [{ op: 'disconnect' }] })
  })

  it('paho Maximum Packet Size: a voice command larger than the device accepts is never sent to it', async () => {
    const collecting = paho(watch, {
      connect: { MaximumPacketSize: 256 },
      steps: [{ op: 'subscribe', topic: `eg/v1/${watch.id}/cmd` }, { op: 'sleep', seconds: 2.5 }],
    })
    await waitFor(async () => t.gateway.broker.isConnected(watch.id), { what: 'paho to connect' })
    await new Promise((resolve) => setTimeout(resolve, 500)) // its SUBSCRIBE
    await t.gateway.broker.sendCommand(watch.id, { id: 'small-1', type: 'voice', text: '请注意' })
    await t.gateway.broker.sendCommand(watch.id, { id: 'large', type: 'voice', text: '请'.repeat(200) })
    await t.gateway.broker.sendCommand(watch.id, { id: 'small-2', type: 'voice', text: '好' })
    const ids = messages(await collecting).map((m) => (JSON.parse(m.payload) as { id: string }).id)
    expect(ids).toEqual(['small-1', 'small-2'])
  })

  it('paho Will Delay Interval: the offline will waits for its delay, and is not sent when the device is back in time', async () => {
    const will = { topic: `eg/v1/${other.id}/status`, payload: 'offline', retain: true, properties: { WillDelayInterval: 1 } }
    const before = await acceptedStatus()
    const dropped = Date.now()
    await paho(other, { cleanStart: false, connect: { SessionExpiryInterval: 60 }, will, steps: [{ op: 'drop' }] })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await acceptedStatus()).toBe(before)
    await waitFor(async () => (await acceptedStatus()) === before + 1, { what: 'the delayed will', timeoutMs: 5_000 })
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(900)

    await paho(other, { cleanStart: false, connect: { SessionExpiryInterval: 60 }, will: { ...will, properties: { WillDelayInterval: 2 } }, steps: [{ op: 'drop' }] })
    await paho(other, { cleanStart: false, connect: { SessionExpiryInterval: 60 }, steps: [{ op: 'sleep', seconds: 2.5 }, { op: 'disconnect' }] })
    expect(await acceptedStatus()).toBe(before + 1)
  })
})
