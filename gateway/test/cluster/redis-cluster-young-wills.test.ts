import { randomUUID } from 'node:crypto'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { Redis } from 'ioredis'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WILL_SWEEP_CHANNEL, type WillSweep } from '../../src/broker/cluster-wills'
import { waitFor } from '../../../test/support/gateway'
import { CAMERA, WATCH, connectDevice, deviceOptions, startTestBroker, type TestBroker } from '../broker/helpers'
import { REDIS_URL, clusterSuite, redisAnswers, retainedPayload, forgetCluster } from './redis-cluster-support'

/**
 * The will sweep that hits a node before its first heartbeat, made to happen on purpose: two
 * clustered brokers in this process with real Redis, the second started half a beat before the
 * first one's next sweep. aedes sweeps every four heartbeats and hears a new node's first
 * heartbeat only one beat after it started, so that sweep streams the new node's wills as if it
 * were dead. The guard must see its fresh beat in Redis and leave them: no will deleted, no
 * "offline" sent for devices that are connected. (The crash that follows, with SIGKILL, is in
 * redis-cluster-young-node.e2e.test.ts; there the timing is left to chance.)
 */
// Long enough that connecting two devices fits between the young node's start and its first
// heartbeat reaching the old node even on a loaded CI machine (at 1 s it missed under load).
const BEAT_MS = 3_000

const redisUp = await redisAnswers()

describe.skipIf(!redisUp)(clusterSuite('a will sweep before a new node’s first heartbeat', redisUp), () => {
  const name = `eg-test-${randomUUID().slice(0, 8)}`
  const cluster = { redisUrl: REDIS_URL, name, heartbeatMs: BEAT_MS }
  let redis: Redis
  const brokers: TestBroker[] = []
  const clients: MqttClient[] = []
  const sweeps: Array<WillSweep & { at: number }> = []
  const onSweep = (message: unknown) => void sweeps.push({ ...(message as WillSweep), at: Date.now() })

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { keyPrefix: `${name}:` })
    subscribe(WILL_SWEEP_CHANNEL, onSweep)
  })
  afterAll(async () => {
    unsubscribe(WILL_SWEEP_CHANNEL, onSweep)
    for (const c of clients) await c.endAsync(true).catch(() => undefined)
    for (const b of brokers) await b.broker.close()
    await forgetCluster(redis, name)
  })

  async function node(): Promise<TestBroker> {
    const t = await startTestBroker({ cluster })
    brokers.push(t)
    return t
  }
  const nodeId = (t: TestBroker): string => logged(t, 'joined broker cluster')[0]?.node ?? ''
  const logged = (t: TestBroker, msg: string) => t.logLines.map((line) => JSON.parse(line) as { msg: string; node?: string }).filter((l) => l.msg === msg)
  const will = (deviceId: string) => ({ will: { topic: `eg/v1/${deviceId}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: true } })

  it('leaves the wills of a node that beats in Redis but has not been heard by aedes yet', { timeout: 90_000 }, async () => {
    const old = await node()
    const oldId = nodeId(old)
    const sweepsOf = (id: string) => sweeps.filter((s) => s.node === id)
    await waitFor(async () => sweepsOf(oldId).length >= 1, { what: 'a first sweep on the old node', timeoutMs: 6 * BEAT_MS })

    // 0.8 beat before the old node's next sweep: the devices have 2.4 s to connect, and the new
    // node's first heartbeat reaches the old one 0.2 beat after that sweep. The one sleep here
    // sets the phase; everything else waits on events.
    const next = sweepsOf(oldId)[0]!.at + 4 * BEAT_MS
    await new Promise((r) => setTimeout(r, next - 0.8 * BEAT_MS - Date.now()))
    const young = await node()
    const youngId = nodeId(young)
    clients.push(...(await Promise.all([WATCH, CAMERA].map((d) => connectDevice(young.url, deviceOptions(d, will(d.deviceId)))))))
    const connectedAt = Date.now()
    expect(await redis.llen('will')).toBe(2)
    const before = sweepsOf(oldId).length

    await waitFor(async () => sweepsOf(oldId).length >= before + 2, { what: 'two more sweeps on the old node', timeoutMs: 10 * BEAT_MS })
    // The first of them came before aedes heard the young node: the guard read its beat and left
    // its wills (were that not so, the sweep fell outside the window and this test proves nothing).
    expect(sweepsOf(oldId)[before]!.at).toBeGreaterThanOrEqual(connectedAt)
    expect(logged(old, 'wills of a node aedes has not heard lately left alone: it beats').map((l) => l.node)).toContain(youngId)

    expect(await redis.llen('will')).toBe(2)
    for (const d of [WATCH, CAMERA]) expect(await retainedPayload(redis, `eg/v1/${d.deviceId}/status`)).toBeUndefined()
    expect(logged(old, 'will of a dead node dropped: the device has reconnected')).toEqual([])
    expect(old.broker.isConnected(WATCH.deviceId) && old.broker.isConnected(CAMERA.deviceId)).toBe(true)
  })
})
