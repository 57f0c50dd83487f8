import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { waitFor } from '../../../test/support/gateway'
import { CAMERA, WATCH, connectDevice, deviceOptions, startTestBroker, type TestBroker } from '../broker/helpers'
import { REDIS_URL, clusterSuite, redisAnswers, forgetCluster } from './redis-cluster-support'

/**
 * Cluster presence at the broker level (cluster-presence.ts), with real Redis and real aedes
 * brokers but no database: a node that starts late learns from the Redis snapshot, and devices
 * of a node that stopped beating count as connected nowhere. The end-to-end behaviour of two
 * gateways is in redis-cluster.e2e.test.ts.
 */
const BEAT_MS = 200

const redisUp = await redisAnswers()

describe.skipIf(!redisUp)(clusterSuite('cluster presence', redisUp), () => {
  const name = `eg-test-${randomUUID().slice(0, 8)}`
  const cluster = { redisUrl: REDIS_URL, name, heartbeatMs: BEAT_MS }
  let redis: Redis
  const brokers: TestBroker[] = []
  const clients: MqttClient[] = []

  async function node(): Promise<TestBroker> {
    const t = await startTestBroker({ cluster })
    brokers.push(t)
    return t
  }

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { keyPrefix: `${name}:` })
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined)
    for (const b of brokers.splice(0)) await b.broker.close()
  })
  afterAll(async () => {
    await forgetCluster(redis, name)
  })

  it('tells a node that starts later which devices the others hold, and forgets them on disconnect', async () => {
    const a = await node()
    const watch = await connectDevice(a.url, deviceOptions(WATCH))
    clients.push(watch)
    await waitFor(async () => (await redis.hget('presence', WATCH.deviceId)) !== null, { what: 'presence written' })

    const late = await node()
    expect(late.broker.isConnected(WATCH.deviceId)).toBe(true)
    expect(late.broker.connectedDevices()).toBe(0)
    expect(late.broker.isConnected(CAMERA.deviceId)).toBe(false)

    await watch.endAsync()
    await waitFor(async () => !late.broker.isConnected(WATCH.deviceId), { what: 'disconnect seen by the late node' })
    await waitFor(async () => (await redis.hget('presence', WATCH.deviceId)) === null, { what: 'presence removed' })
  })

  it('counts devices of a node that stopped beating as connected nowhere, and purges them', async () => {
    // A node that died without unregistering: its entries stay behind in Redis.
    await redis.hset('nodes', 'ghost', String(Date.now() - 60 * BEAT_MS))
    await redis.hset('presence', CAMERA.deviceId, 'ghost')
    // A node alive at start that stops beating right after.
    await redis.hset('nodes', 'fading', String(Date.now()))
    await redis.hset('presence', WATCH.deviceId, 'fading')

    const b = await node()
    expect(b.broker.isConnected(CAMERA.deviceId)).toBe(false)
    expect(b.broker.isConnected(WATCH.deviceId)).toBe(true)
    await waitFor(async () => !b.broker.isConnected(WATCH.deviceId), { what: 'silent node expired after three beats' })
    await waitFor(async () => (await redis.hlen('presence')) === 0 && (await redis.hexists('nodes', 'ghost')) === 0, { what: 'dead entries purged' })

    // It was only stalled: once it beats again, its devices count again.
    await redis.hset('nodes', 'fading', String(Date.now()))
    await waitFor(async () => b.broker.isConnected(WATCH.deviceId), { what: 'stalled node back' })
    expect(b.broker.isConnected(CAMERA.deviceId)).toBe(false)
  })

  it('announces its devices again when the others took it for dead', async () => {
    const a = await node()
    clients.push(await connectDevice(a.url, deviceOptions(WATCH)))
    await waitFor(async () => (await redis.hget('presence', WATCH.deviceId)) !== null, { what: 'presence written' })
    await redis.del('presence', 'nodes')
    await waitFor(async () => (await redis.hget('presence', WATCH.deviceId)) !== null, { what: 'presence written again' })
  })

  it('refuses to start when the cluster Redis does not answer', async () => {
    await expect(startTestBroker({ cluster: { redisUrl: 'redis://127.0.0.1:1', name, heartbeatMs: BEAT_MS } })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' })
  })
})

describe('cluster configuration', () => {
  const pg = 'postgres://postgres@127.0.0.1:5432/eg'

  it('reads EG_CLUSTER_REDIS_URL and EG_CLUSTER_NAME', () => {
    const config = loadConfig({ DATABASE_URL: pg, EG_CLUSTER_REDIS_URL: 'redis://10.0.0.5:6379/2', EG_CLUSTER_NAME: 'county-7' })
    expect(config).toMatchObject({ EG_CLUSTER_REDIS_URL: 'redis://10.0.0.5:6379/2', EG_CLUSTER_NAME: 'county-7' })
    expect(loadConfig({}).EG_CLUSTER_NAME).toBe('eldergate')
  })

  it('refuses a bad URL without echoing it, a bad name, and a cluster without shared PostgreSQL', () => {
    expect(() => loadConfig({ DATABASE_URL: pg, EG_CLUSTER_REDIS_URL: 'http://user:pw@x' })).toThrow(/EG_CLUSTER_REDIS_URL=\(hidden\)/)
    expect(() => loadConfig({ DATABASE_URL: pg, EG_CLUSTER_REDIS_URL: 'redis://x', EG_CLUSTER_NAME: 'a*b' })).toThrow(/EG_CLUSTER_NAME/)
    expect(() => loadConfig({ EG_CLUSTER_REDIS_URL: 'redis://x' })).toThrow(/DATABASE_URL/)
  })
})
