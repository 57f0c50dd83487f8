import { randomUUID } from 'node:crypto'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { Redis } from 'ioredis'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WILL_SWEEP_CHANNEL } from '../../src/broker/cluster-wills'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { createPostgresDatabase, type TestDatabase } from '../../../test/support/databases'
import { ADMIN_PASSWORD, connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { spawnGateway, type GatewayProcess } from '../../../test/support/gateway-process'
import { REDIS_URL, clusterSuite, redisAnswers, retainedPayload, forgetCluster } from './redis-cluster-support'

/**
 * A node that has just started, whose devices connect at once, and which later dies.
 *
 * aedes sweeps the wills of every node it has not heard a heartbeat from lately — including one
 * that started a moment ago (its first heartbeat comes one interval after start). The will guard
 * (cluster-wills.ts) must judge such a node by its beat in Redis and leave its wills alone:
 * deleting them as "stale" (devices connected) meant that when the node really died its devices
 * were never marked offline. The survivor's sweeps are counted on the guard's diagnostics
 * channel (the survivor runs in this process; the young node is its own process, for SIGKILL).
 */
const HEARTBEAT_MS = '500'

const redisUp = await redisAnswers()

describe.skipIf(!redisUp)(clusterSuite('a clustered node that just started', redisUp), () => {
  const name = `eg-test-${randomUUID().slice(0, 8)}`
  const env = { EG_CLUSTER_REDIS_URL: REDIS_URL, EG_CLUSTER_NAME: name, EG_CLUSTER_HEARTBEAT_MS: HEARTBEAT_MS }
  let database: TestDatabase
  let survivor: TestGateway
  let young: GatewayProcess | undefined
  let redis: Redis
  let devices: SeededDevice[]
  const clients: MqttClient[] = []
  let sweeps = 0
  const onSweep = () => void sweeps++

  beforeAll(async () => {
    database = await createPostgresDatabase()
    survivor = await startTestGateway({ database, env })
    redis = new Redis(REDIS_URL, { keyPrefix: `${name}:` })
    // Seeded first, so the young node's devices can connect the moment it listens.
    devices = await seedElders(survivor.api, 3)
    subscribe(WILL_SWEEP_CHANNEL, onSweep)
  })

  afterAll(async () => {
    unsubscribe(WILL_SWEEP_CHANNEL, onSweep)
    for (const c of clients) await c.endAsync(true).catch(() => undefined)
    await young?.kill()
    await survivor?.stop()
    await database?.drop()
    if (redis) {
      await forgetCluster(redis, name)
    }
  })

  /** Connects with the will DESIGN §3 asks for and announces "online" (retained). */
  async function connect(port: number, d: SeededDevice): Promise<MqttClient> {
    const will = { topic: statusTopic(d), payload: Buffer.from('offline'), qos: 1 as const, retain: true }
    const client = await connectDevice(`mqtt://127.0.0.1:${port}`, d.id, d.secret, { will })
    clients.push(client)
    await client.publishAsync(statusTopic(d), 'online', { qos: 1, retain: true })
    return client
  }
  const statusTopic = (d: SeededDevice) => `eg/v1/${d.id}/status`
  const status = (d: SeededDevice) => retainedPayload(redis, statusTopic(d))

  it('keeps its devices’ wills through the survivor’s sweeps, and sends them when it dies', { timeout: 90_000 }, async () => {
    const [first, second, resident] = devices as [SeededDevice, SeededDevice, SeededDevice]
    const onSurvivor = await connect(survivor.gateway.mqttPort, resident)

    young = await spawnGateway({ ...env, DATABASE_URL: database.url, EG_ADMIN_PASSWORD: ADMIN_PASSWORD })
    const onYoung = await Promise.all([connect(young.mqttPort, first), connect(young.mqttPort, second)])
    const connectedAt = sweeps
    expect(await redis.llen('will')).toBe(3)

    // aedes sweeps every four heartbeats (2 s here): the first sweep after the connects may fall
    // before the young node's first heartbeat reached the survivor; a second one certainly after.
    await waitFor(async () => sweeps >= connectedAt + 2, { what: 'two will sweeps on the survivor' })
    expect(await redis.llen('will')).toBe(3)
    for (const d of [first, second, resident]) expect(await status(d)).toBe('online')
    expect(survivor.gateway.broker.isConnected(first.id) && survivor.gateway.broker.isConnected(second.id)).toBe(true)

    const lost = onYoung.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())))
    await young.kill('SIGKILL')
    young = undefined
    await Promise.all(lost)

    await waitFor(async () => (await status(first)) === 'offline' && (await status(second)) === 'offline', {
      what: 'the dead node’s devices marked offline',
    })
    // The survivor's own device keeps its will and its status: only the dead node's were handled.
    await waitFor(async () => (await redis.llen('will')) === 1, { what: 'the dead node’s wills deleted once published' })
    expect(await status(resident)).toBe('online')
    expect(onSurvivor.connected).toBe(true)
  })
})
