import type { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import type { Aedes } from 'aedes'
import { Redis } from 'ioredis'
import type { MQEmitter } from 'mqemitter'
import { EgError } from '../errors'
import type { Logger } from '../logger'
import { createSplitBus } from './cluster-bus'
import { startClusterPresence, type ClusterPresence } from './cluster-presence'
import { createMessageBus } from './emitter'
import { guardDeadNodeWills } from './cluster-wills'

/**
 * The embedded broker clustered through Redis (EG_CLUSTER_REDIS_URL): several gateways share
 * one message bus (mqemitter-redis) and one persistence (aedes-persistence-redis: sessions,
 * retained messages, subscriptions, QoS 1 messages waiting for offline devices), so a device
 * may connect to any node and a command published on one node reaches it on another.
 *
 * Every key and pub/sub channel carries the deployment's prefix (EG_CLUSTER_NAME + ':').
 * The prefix matters twice over: keys of two deployments sharing a Redis must not mix, and
 * Redis pub/sub channels are global to the server — the database number does not separate them.
 *
 * What aedes already does across nodes once bus and persistence are shared: a device that
 * connects to node B while connected to node A is taken over (B publishes
 * `$SYS/<B>/new/clients`, A closes its client of that id — MQTT-3.1.4-2 across nodes), and the
 * wills of a node that stopped heart-beating are published by a surviving node (cluster-wills.ts
 * decides which, and when a node is dead, by the presence beat rather than aedes' heartbeats).
 * What it does not: tell a node which devices are connected elsewhere — cluster-presence.ts.
 */
export interface ClusterOptions {
  redisUrl: string
  /** Key and channel prefix of this deployment. */
  name: string
  logger: Logger
  /**
   * How often nodes say they are alive (aedes' heartbeat and the presence beat). A node silent
   * for three beats is dead: its devices stop counting as connected and its wills are handled.
   */
  heartbeatMs: number
}

export interface BrokerCluster {
  /** For Aedes.createBroker: the shared bus and persistence, and the heartbeat that finds dead nodes. */
  readonly aedesOptions: { mq: MQEmitter; persistence: unknown; heartbeatInterval: number }
  /**
   * Once aedes exists: starts tracking presence (aedes.id is the node id) and guards dead nodes'
   * wills. `local`: the devices connected to this node, by id.
   */
  attach(aedes: Aedes, local: ReadonlyMap<string, unknown>): Promise<ClusterPresence>
  /** After aedes has closed (it closes the bus itself): presence and the persistence connection. */
  close(): Promise<void>
}

/** aedes-persistence-redis: promises for aedes 1.x, plus the Node streams aedes still pipes (retained messages). */
type RedisPersistenceFactory = (opts: { conn: Redis }) => Parameters<typeof guardDeadNodeWills>[0] & { destroy(): Promise<void> }
type PrefixedEmitterClass = new (prefix: string, opts: Record<string, unknown>) => MQEmitter & { state: EventEmitter }

// Neither aedes-persistence-redis nor MQEmitterRedisPrefix (missing from mqemitter-redis'
// .d.ts) has type declarations: they are typed here, at the one place we load them.
const require = createRequire(import.meta.url)
const redisPersistence = require('aedes-persistence-redis') as RedisPersistenceFactory
const { MQEmitterRedisPrefix } = require('mqemitter-redis') as { MQEmitterRedisPrefix: PrefixedEmitterClass }

const CONNECT_TIMEOUT_MS = 5_000

export async function createBrokerCluster(opts: ClusterOptions): Promise<BrokerCluster> {
  const log = opts.logger.child({ component: 'broker-cluster' })
  const prefix = `${opts.name}:`
  const redisOpts = { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS }
  // Keyed commands (persistence, presence) get the prefix from ioredis; channels get it from the emitter.
  const store = new Redis(opts.redisUrl, { ...redisOpts, keyPrefix: prefix })
  const pub = new Redis(opts.redisUrl, { ...redisOpts, enableAutoPipelining: true })
  const sub = new Redis(opts.redisUrl, redisOpts)
  const connections = [store, pub, sub]
  // After start-up ioredis reconnects by itself; until then a failure must stop the start.
  for (const conn of connections) conn.on('error', (err: Error) => log.warn({ err: err.message }, 'cluster redis connection error'))
  try {
    await Promise.all(connections.map((conn) => conn.connect()))
  } catch (err) {
    for (const conn of connections) conn.disconnect()
    throw new EgError('STORAGE_UNAVAILABLE', `cluster Redis (EG_CLUSTER_REDIS_URL) does not answer: ${(err as Error).message}`, { cause: err })
  }

  // The bus keeps the local property of emitter.ts (concurrency 0: no queue, no recursion): an
  // emit is one PUBLISH, completed when Redis answers, so a flood costs one round trip per
  // message (auto-pipelined) and aedes' per-chunk backpressure now also waits on Redis. Local
  // subscribers are served when the message comes back from Redis, like remote ones.
  const shared = new MQEmitterRedisPrefix(prefix, { pubConn: pub, subConn: sub, concurrency: 0, matchEmptyLevels: true })
  shared.state.on('error', (err: Error) => log.warn({ err: err.message }, 'cluster message bus error'))
  // Device readings stay on this node's bus; the rest crosses Redis (cluster-bus.ts says why).
  const mq = createSplitBus(createMessageBus(), shared)
  const persistence = redisPersistence({ conn: store })

  let presence: ClusterPresence | undefined
  let closing: Promise<void> | undefined
  return {
    aedesOptions: { mq, persistence, heartbeatInterval: opts.heartbeatMs },
    async attach(aedes, local) {
      const localDevices = () => local.keys()
      const isLocal = (deviceId: string) => local.has(deviceId)
      const started = await startClusterPresence({ redis: store, aedes, localDevices, logger: log, beatMs: opts.heartbeatMs })
      presence = started
      guardDeadNodeWills(persistence, { aedes, logger: log, isLocal, connectedOn: started.connectedOn, nodeAlive: started.nodeAlive })
      log.info({ node: aedes.id, cluster: opts.name }, 'joined broker cluster')
      return presence
    },
    close() {
      closing ??= (async () => {
        await presence?.close()
        // destroy() ends the store connection; aedes.close() already quit pub and sub through mq.close().
        await persistence.destroy()
        for (const conn of connections) if (conn.status !== 'end') conn.disconnect()
      })()
      return closing
    },
  }
}
