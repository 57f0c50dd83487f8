import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { MqttClient } from 'mqtt'
import type { Counter } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { createPostgresDatabase, type TestDatabase } from '../../../test/support/databases'
import { collectCommands, connectDevice, startTestGateway, waitFor, type DeviceCommand, type TestGateway } from '../../../test/support/gateway'
import { REDIS_URL, clusterSuite, redisAnswers } from './redis-cluster-support'

/**
 * Issue 7 item 4, end to end: two gateways whose embedded brokers are clustered through Redis
 * (EG_CLUSTER_REDIS_URL) and which share one PostgreSQL database. Real MQTT over TCP as the
 * devices, real HTTP as the operator, real Redis. Each run uses its own EG_CLUSTER_NAME, so runs
 * never see each other's keys or channels; the keys are deleted at the end.
 */
const redisUp = await redisAnswers()

type Prompt = { id: string; status: string; deviceId: string; origin: string }

describe.skipIf(!redisUp)(clusterSuite('Redis-clustered embedded brokers', redisUp), () => {
  const clusterName = `eg-test-${randomUUID().slice(0, 8)}`
  let database: TestDatabase
  let a: TestGateway
  let b: TestGateway
  let devices: SeededDevice[]
  const clients: MqttClient[] = []

  beforeAll(async () => {
    database = await createPostgresDatabase()
    const env = { EG_CLUSTER_REDIS_URL: REDIS_URL, EG_CLUSTER_NAME: clusterName }
    // One after the other: the first one migrates and bootstraps the shared database.
    a = await startTestGateway({ database, env })
    b = await startTestGateway({ database, env })
    devices = await seedElders(a.api, 5)
  })

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined)
    await a?.stop()
    await b?.stop()
    await database?.drop()
    const redis = new Redis(REDIS_URL)
    try {
      // Nodes remove their own presence on close: anything else left is sessions and retained messages.
      for await (const keys of redis.scanStream({ match: `${clusterName}:*`, count: 500 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.del(...keys)
      }
    } finally {
      redis.disconnect()
    }
  })

  async function device(node: TestGateway, d: SeededDevice): Promise<{ client: MqttClient; commands: DeviceCommand[] }> {
    const client = await connectDevice(node.mqttUrl, d.id, d.secret)
    clients.push(client)
    return { client, commands: await collectCommands(client, d.id) }
  }

  const prompts = async (node: TestGateway, deviceId: string, status?: string) =>
    (await node.api.request<{ items: Prompt[] }>('GET', `/api/v1/voice-prompts?deviceId=${deviceId}${status ? `&status=${status}` : ''}`)).items

  const speak = async (node: TestGateway, deviceId: string, text: string) =>
    (await node.api.request<{ commandId: string }>('POST', `/api/v1/devices/${deviceId}/voice`, { text })).commandId

  async function commandsSentBy(node: TestGateway): Promise<number> {
    const counter = node.gateway.metrics.registry.getSingleMetric('eg_voice_commands_sent_total') as Counter | undefined
    return (await counter?.get())?.values[0]?.value ?? 0
  }

  it('delivers a voice prompt posted to node B to a device on node A, and B shows the ack', async () => {
    const watch = devices[0]!
    const w = await device(a, watch)
    // B learns of the device over the shared bus: its dispatcher sends at once instead of waiting.
    await waitFor(async () => b.gateway.broker.isConnected(watch.id), { what: 'node B sees the device connected to node A' })
    expect(b.gateway.broker.connectedDevices()).toBe(0)
    const sentByB = await commandsSentBy(b)

    const commandId = await speak(b, watch.id, '请喝水')
    const command = await waitFor(async () => w.commands.find((c) => c.id === commandId), { what: 'command at the device on node A' })
    expect(command).toMatchObject({ type: 'voice', text: '请喝水' })
    // Published by B's dispatcher through the shared bus (A's periodic sweep would also get there, later).
    expect(await commandsSentBy(b)).toBeGreaterThan(sentByB)

    // The ack reaches node A's intake; the status lands in the shared database, visible through B.
    await w.client.publishAsync(`eg/v1/${watch.id}/cmd/ack`, JSON.stringify({ id: commandId, status: 'played', ts: Date.now() }), { qos: 1 })
    const played = await waitFor(async () => (await prompts(b, watch.id, 'played'))[0], { what: 'prompt played, seen on node B' })
    expect(played).toMatchObject({ id: commandId, origin: 'operator' })

    // Disconnecting clears the presence on B too.
    await w.client.endAsync()
    await waitFor(async () => !b.gateway.broker.isConnected(watch.id), { what: 'node B sees the device gone' })
  })

  it('keeps a prompt for a device connected nowhere queued until it connects (to the other node)', async () => {
    const watch = devices[1]!
    expect(a.gateway.broker.isConnected(watch.id)).toBe(false)
    expect(b.gateway.broker.isConnected(watch.id)).toBe(false)
    const commandId = await speak(b, watch.id, '有人敲门')
    expect((await prompts(b, watch.id)).map((p) => p.status)).toEqual(['queued'])

    const w = await device(a, watch)
    const command = await waitFor(async () => w.commands.find((c) => c.id === commandId), { what: 'queued command after connecting to node A' })
    expect(command.text).toBe('有人敲门')
    await waitFor(async () => (await prompts(b, watch.id, 'sent'))[0], { what: 'prompt marked sent' })
  })

  it('stores a reading published on node A once, not once per node', async () => {
    const watch = devices[2]!
    const w = await device(a, watch)
    const ts = Date.now() - 1_000
    await w.client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify({ ts, hr: 72 }), { qos: 1 })
    const telemetry = async () =>
      (await b.api.request<{ items: unknown[] }>('GET', `/api/v1/elders/${watch.elderId}/telemetry?from=${ts - 1}&to=${ts + 1}`)).items
    await waitFor(async () => (await telemetry()).length > 0, { what: 'reading stored' })
    await Promise.all([a.gateway.settle(), b.gateway.settle()])
    expect(await telemetry()).toHaveLength(1)
  })

  it('raises one alert for an SOS on node B (rules run once, by lease) and speaks it at the device', async () => {
    const watch = devices[4]!
    const w = await device(b, watch)
    await w.client.publishAsync(`eg/v1/${watch.id}/event`, JSON.stringify({ ts: Date.now(), type: 'sos' }), { qos: 1 })
    const alerts = async () => (await a.api.request<{ items: Array<{ id: string; rule: string }> }>('GET', `/api/v1/alerts?elderId=${watch.elderId}`)).items
    await waitFor(async () => (await alerts()).length > 0, { what: 'SOS alert' })
    const command = await waitFor(async () => w.commands[0], { what: 'alert prompt at the device on node B' })
    expect(command.text).toContain('求救')
    await Promise.all([a.gateway.settle(), b.gateway.settle()])
    expect(await alerts()).toHaveLength(1)
  })

  it('takes over a device id across nodes and keeps its retained status in the shared persistence', async () => {
    const watch = devices[3]!
    const first = await connectDevice(a.mqttUrl, watch.id, watch.secret)
    clients.push(first)
    await first.publishAsync(`eg/v1/${watch.id}/status`, 'online', { qos: 1, retain: true })
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()))

    // The same id on node B: node A drops its older connection (MQTT-3.1.4-2, across nodes).
    const onA = a.gateway.broker.connectedDevices()
    const second = await connectDevice(b.mqttUrl, watch.id, watch.secret)
    clients.push(second)
    await closed
    expect(first.connected).toBe(false)
    expect(second.connected).toBe(true)
    await waitFor(async () => a.gateway.broker.connectedDevices() === onA - 1, { what: 'node A drops its client' })
    expect(a.gateway.broker.isConnected(watch.id)).toBe(true)

    // The status retained through node A is delivered by node B from the shared persistence.
    const retained = new Promise<string>((resolve) =>
      second.on('message', (topic, payload, packet) => {
        if (topic === `eg/v1/${watch.id}/status` && packet.retain) resolve(payload.toString())
      }),
    )
    await second.subscribeAsync(`eg/v1/${watch.id}/status`, { qos: 1 })
    expect(await retained).toBe('online')

    // And a command issued on node A now reaches the device through node B.
    const commands = await collectCommands(second, watch.id)
    const commandId = await speak(a, watch.id, '该吃药了')
    await waitFor(async () => commands.find((c) => c.id === commandId), { what: 'command issued on A at the device on B' })
  })
})
