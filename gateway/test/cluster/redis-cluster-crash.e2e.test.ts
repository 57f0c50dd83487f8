import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { createPostgresDatabase, type TestDatabase } from '../../../test/support/databases'
import { ADMIN_PASSWORD, connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { spawnGateway, type GatewayProcess } from '../../../test/support/gateway-process'
import { REDIS_URL, clusterSuite, redisAnswers, retainedPayload, forgetCluster } from './redis-cluster-support'

/**
 * A node of a Redis-clustered deployment killed with SIGKILL (no DISCONNECT, no will sent, no
 * presence removed). The survivor must notice within three heartbeats: the dead node's devices
 * stop counting as connected, the will of a device that stayed away is published (its retained
 * status becomes "offline"), and the will of a device that reconnected to the survivor is
 * dropped — it must not mark a connected device offline.
 * The doomed node is killed a moment after it started (before or just after its first aedes
 * heartbeat): its wills must survive the survivor's will sweeps until then (cluster-wills.ts).
 */
const HEARTBEAT_MS = '500'

const redisUp = await redisAnswers()

describe.skipIf(!redisUp)(clusterSuite('a clustered node killed with SIGKILL', redisUp), () => {
  const name = `eg-test-${randomUUID().slice(0, 8)}`
  let database: TestDatabase
  let survivor: TestGateway
  let doomed: GatewayProcess | undefined
  let redis: Redis
  const clients: MqttClient[] = []

  beforeAll(async () => {
    database = await createPostgresDatabase()
    const env = { EG_CLUSTER_REDIS_URL: REDIS_URL, EG_CLUSTER_NAME: name, EG_CLUSTER_HEARTBEAT_MS: HEARTBEAT_MS }
    survivor = await startTestGateway({ database, env })
    doomed = await spawnGateway({ ...env, DATABASE_URL: database.url, EG_ADMIN_PASSWORD: ADMIN_PASSWORD })
    redis = new Redis(REDIS_URL, { keyPrefix: `${name}:` })
  })

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined)
    await doomed?.kill()
    await survivor?.stop()
    await database?.drop()
    if (redis) {
      await forgetCluster(redis, name)
    }
  })

  /** Connects with the will DESIGN §3 asks for (or none: the will list then holds the dead node's only). */
  async function connect(port: number, d: SeededDevice, withWill = true): Promise<MqttClient> {
    const will = { topic: `eg/v1/${d.id}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: true }
    const client = await connectDevice(`mqtt://127.0.0.1:${port}`, d.id, d.secret, withWill ? { will } : {})
    clients.push(client)
    await client.publishAsync(`eg/v1/${d.id}/status`, 'online', { qos: 1, retain: true })
    return client
  }

  async function retainedStatus(client: MqttClient, d: SeededDevice): Promise<string> {
    const topic = `eg/v1/${d.id}/status`
    const got = new Promise<string>((resolve) =>
      client.on('message', (t, payload, packet) => {
        if (t === topic && packet.retain) resolve(payload.toString())
      }),
    )
    await client.subscribeAsync(topic, { qos: 1 })
    return got
  }

  it('expires the dead node, drops the stale will of a device that moved, and sends the others', { timeout: 120_000 }, async () => {
    const [moved, stayedAway] = (await seedElders(survivor.api, 2)) as [SeededDevice, SeededDevice]
    const onDoomed = [await connect(doomed!.mqttPort, moved), await connect(doomed!.mqttPort, stayedAway)]
    await waitFor(async () => survivor.gateway.broker.isConnected(moved.id) && survivor.gateway.broker.isConnected(stayedAway.id), {
      what: 'survivor sees both devices on the doomed node',
    })
    expect(await redis.llen('will')).toBe(2)

    const lost = onDoomed.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())))
    await doomed!.kill('SIGKILL')
    doomed = undefined
    await Promise.all(lost)

    // The device that moves reconnects to the survivor at once (a load balancer would send it there).
    const movedAgain = await connect(survivor.gateway.mqttPort, moved, false)
    await waitFor(async () => !survivor.gateway.broker.isConnected(stayedAway.id), { what: 'the dead node’s devices stop counting as connected' })
    expect(survivor.gateway.broker.isConnected(moved.id)).toBe(true)
    // What matters is the retained status; the will list empties only after the publish completed.
    await waitFor(async () => (await retainedPayload(redis, `eg/v1/${stayedAway.id}/status`)) === 'offline', {
      what: 'the stayed-away device’s retained status offline',
    })
    // A dropped will publishes nothing: only its absence from the list says it was handled.
    await waitFor(async () => (await redis.llen('will')) === 0, { what: 'the dead node’s wills handled' })

    expect(await retainedStatus(movedAgain, moved)).toBe('online')
    expect(movedAgain.connected).toBe(true)
    const back = await connectDevice(survivor.mqttUrl, stayedAway.id, stayedAway.secret)
    clients.push(back)
    expect(await retainedStatus(back, stayedAway)).toBe('offline')
  })
})
