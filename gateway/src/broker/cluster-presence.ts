import type { Aedes, AedesPublishPacket, Client } from 'aedes'
import type { Redis } from 'ioredis'
import type { Logger } from '../logger'

/**
 * Which devices are connected to the *other* nodes of a broker cluster, answered synchronously
 * (the voice dispatcher asks `isConnected` for every prompt it considers).
 *
 * Two sources, because neither suffices alone:
 * - live: aedes announces every registration and unregistration on the shared bus
 *   (`$SYS/<node>/new/clients`, `$SYS/<node>/disconnect/clients`); every node listens;
 * - snapshot: a node that starts late missed those, so each node also writes its devices to the
 *   Redis hash `presence` (device id → node id) and a starting node reads it once.
 *
 * A node that dies without unregistering its devices would leave them "connected" forever, so
 * nodes beat into the hash `nodes` (node id → last beat, ms) and a device whose node has been
 * silent for three beats counts as connected nowhere; any node purges such entries from Redis.
 * A node that was only stalled (a long GC pause) comes back: the others count its devices again
 * as soon as it beats, and it writes its devices back to Redis when it finds itself purged.
 */
export interface ClusterPresence {
  /** The device holds a connection on another live node. */
  elsewhere(deviceId: string): boolean
  /**
   * The other live node holding the device, if any. The will guard needs the node, not just a
   * yes: right after a crash the dead node may still count as alive here (its announcements are
   * fresh), and a device "connected" on the very node that died has not reconnected.
   */
  connectedOn(deviceId: string): string | undefined
  /**
   * Whether the node beat within three beats, read fresh from Redis. Not from `lastSeen`: that
   * lags by up to a beat and is refreshed by bus announcements too, while the beat in Redis is
   * the one record every node reads alike (and PURGE_NODE removes). A node writes it before its
   * listener accepts devices, so a node that holds wills is never "unknown yet".
   */
  nodeAlive(nodeId: string): Promise<boolean>
  /** Stops beating and removes this node's entries (its devices are gone with its broker). */
  close(): Promise<void>
}

export interface PresenceOptions {
  /** Keys are relative: the connection carries the deployment's key prefix. */
  redis: Redis
  aedes: Aedes
  /** The devices connected to this node (re-written to Redis after this node was purged). */
  localDevices(): Iterable<string>
  logger: Logger
  beatMs: number
}

const PRESENCE = 'presence'
const NODES = 'nodes'
/** HDEL only if the field still names this node: a takeover by another node must not be undone. */
const DELETE_IF_OWNER = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0`
/**
 * Forgets a dead node in one step, and only if it has not beaten since it was found silent:
 * either its devices and its beat go together (so its next HSET of `nodes` creates the field and
 * it re-announces), or nothing goes. KEYS: nodes, presence; ARGV: node id, the stale beat.
 */
const PURGE_NODE = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  if entries[i + 1] == ARGV[1] then redis.call('HDEL', KEYS[2], entries[i]) end
end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1`
const NEW_CLIENTS = '$SYS/+/new/clients'
const GONE_CLIENTS = '$SYS/+/disconnect/clients'

export async function startClusterPresence(opts: PresenceOptions): Promise<ClusterPresence> {
  const { redis, aedes, logger } = opts
  const node = aedes.id
  const { beatMs } = opts
  /** Devices on other nodes: device id → node id. */
  const remote = new Map<string, string>()
  /** When each other node last showed life (a beat in Redis or an announcement on the bus). */
  const lastSeen = new Map<string, number>()
  const writes = new Set<Promise<unknown>>()

  function write(what: string, op: Promise<unknown>): void {
    const tracked = op.catch((err: unknown) => logger.warn({ err: (err as Error).message }, `cluster presence ${what} failed`)).finally(() => writes.delete(tracked))
    writes.add(tracked)
  }
  const alive = (other: string, now: number): boolean => now - (lastSeen.get(other) ?? 0) < 3 * beatMs

  // --- live announcements from the bus (aedes publishes them for every client it registers) ---
  const onNew = (packet: AedesPublishPacket, done: () => void): void => {
    const from = packet.topic.split('/')[1] ?? ''
    if (from !== node) {
      remote.set(String(packet.payload), from)
      lastSeen.set(from, Date.now())
    }
    done()
  }
  const onGone = (packet: AedesPublishPacket, done: () => void): void => {
    const from = packet.topic.split('/')[1] ?? ''
    const deviceId = String(packet.payload)
    if (remote.get(deviceId) === from) remote.delete(deviceId)
    done()
  }
  await Promise.all([subscribe(aedes, NEW_CLIENTS, onNew), subscribe(aedes, GONE_CLIENTS, onGone)])

  // --- this node's own devices, for the snapshot of nodes that start later ---
  const onClient = (client: Client): void => {
    remote.delete(client.id)
    write('add', redis.hset(PRESENCE, client.id, node))
  }
  const onClientGone = (client: Client): void => {
    write('remove', redis.eval(DELETE_IF_OWNER, 1, PRESENCE, client.id, node))
  }
  aedes.on('client', onClient)
  aedes.on('clientDisconnect', onClientGone)

  let first = true
  async function beat(): Promise<void> {
    const now = Date.now()
    // HSET answers 1 when it created the field: after the first beat, that means we were purged.
    if ((await redis.hset(NODES, node, String(now))) === 1 && !first) {
      logger.warn({ node }, 'this node was taken for dead by the cluster; announcing its devices again')
      for (const deviceId of opts.localDevices()) await redis.hset(PRESENCE, deviceId, node)
    }
    first = false
    for (const [other, at] of Object.entries(await redis.hgetall(NODES))) {
      if (other === node) continue
      const seen = Math.max(Number(at), lastSeen.get(other) ?? 0)
      lastSeen.set(other, seen)
      if (now - seen >= 3 * beatMs) await purge(other, at)
    }
  }

  /**
   * A node gone silent: its devices stop counting at once (`alive`); here they are removed from
   * the Redis snapshot. The in-memory entries stay, in case it was only stalled: one per device
   * at most, and replaced when the device connects elsewhere.
   */
  async function purge(dead: string, lastBeat: string): Promise<void> {
    if ((await redis.eval(PURGE_NODE, 2, NODES, PRESENCE, dead, lastBeat)) === 1) {
      logger.warn({ node: dead }, 'cluster node silent for three beats; its devices count as disconnected')
    }
  }

  await beat()
  // Announcements that arrived meanwhile are newer than the snapshot: they win.
  for (const [deviceId, owner] of Object.entries(await redis.hgetall(PRESENCE))) {
    if (owner !== node && !remote.has(deviceId)) remote.set(deviceId, owner)
  }
  const timer = setInterval(() => write('beat', beat()), beatMs)
  timer.unref()

  function connectedOn(deviceId: string): string | undefined {
    const owner = remote.get(deviceId)
    return owner !== undefined && alive(owner, Date.now()) ? owner : undefined
  }

  return {
    elsewhere: (deviceId) => connectedOn(deviceId) !== undefined,
    connectedOn,
    nodeAlive: async (other) => {
      const at = await redis.hget(NODES, other)
      return at !== null && Date.now() - Number(at) < 3 * beatMs
    },
    async close() {
      clearInterval(timer)
      aedes.removeListener('client', onClient)
      aedes.removeListener('clientDisconnect', onClientGone)
      await Promise.all(writes)
      const mine = Object.entries(await redis.hgetall(PRESENCE)).filter(([, owner]) => owner === node)
      for (const [deviceId] of mine) await redis.eval(DELETE_IF_OWNER, 1, PRESENCE, deviceId, node)
      await redis.hdel(NODES, node)
      remote.clear()
    },
  }
}

function subscribe(aedes: Aedes, topic: string, listener: (packet: AedesPublishPacket, done: () => void) => void): Promise<void> {
  return new Promise((resolve) => aedes.subscribe(topic, listener, resolve))
}
