import { channel } from 'node:diagnostics_channel'
import { Readable } from 'node:stream'
import type { Aedes } from 'aedes'
import type { Logger } from '../logger'
import { publishChannel } from '../../../contract/topics'

/**
 * The wills of a node that died (stopped heart-beating), as the gateway wants them handled.
 *
 * aedes has a surviving node replay them from the shared persistence, a few heartbeats after the
 * death, through authorizePublish with a null client — which the ACL cannot attribute — and,
 * worse, also for devices that have meanwhile reconnected to a surviving node: after a node
 * crash every device that moved would be marked "offline" minutes later. So this guard takes the
 * replay over (it wraps `persistence.streamWill` and yields nothing to aedes).
 *
 * Whether a node is dead is decided by our own liveness view (its beat in Redis, as
 * cluster-presence.ts keeps it), never by aedes' heartbeat map alone: aedes streams the wills of
 * every node it has not heard a heartbeat from lately — including a node that started a moment
 * ago and has not sent its first heartbeat yet (it comes one interval after start), and even
 * this node's own before its first heartbeat came back over the bus. Acting on those would delete
 * the wills of live devices, which then are never marked offline when their node really dies.
 * - a will of this node is never touched (its devices are here; aedes sends it on disconnect);
 * - a will of a node that beat within three beats is left as it is: the node is alive;
 * - a dead node's will whose device is connected here or on another live node is stale:
 *   deleted unsent;
 * - otherwise, if it is the device's own status topic (DESIGN §3: devices set `"offline"` there),
 *   it is published as stored (retained offline status in the shared persistence), and deleted
 *   only once the publish completed: at least once — two "offline" are harmless, while deleting
 *   first loses it if this node dies in between, and lets a reader who waits for the will list to
 *   empty see the old status;
 * - anything else is deleted unsent (the ACL would have refused it from the device).
 * The gateway's own device-activity record is not touched (no DeviceIdentity without the
 * client): it is refreshed when the device connects again.
 */
export interface WillGuardDeps {
  /** This node's id, and the publish that sends a dead node's will. */
  aedes: Pick<Aedes, 'id' | 'publish'>
  /** Whether the node beat within three beats, read fresh (ClusterPresence.nodeAlive). */
  nodeAlive(nodeId: string): Promise<boolean>
  /** Whether the device is connected to this node. */
  isLocal(deviceId: string): boolean
  /** The other live node holding the device, as presence sees it (ClusterPresence.connectedOn). */
  connectedOn(deviceId: string): string | undefined
  logger: Logger
}

/**
 * Published at the start of every will sweep (aedes runs one every four heartbeats), with this
 * node's id: lets a test wait for sweeps instead of sleeping. Costs nothing without subscribers.
 */
export const WILL_SWEEP_CHANNEL = 'eldergate:cluster:will-sweep'
export interface WillSweep {
  node: string
}
const sweeps = channel(WILL_SWEEP_CHANNEL)

interface StoredWill {
  clientId: string
  brokerId: string
  topic: string
  payload: Buffer | string
  qos: 0 | 1 | 2
  retain: boolean
}

interface WillPersistence {
  streamWill(brokers: unknown): Readable
  delWill(client: { id: string; brokerId: string }): Promise<unknown>
}

export function guardDeadNodeWills(persistence: WillPersistence, deps: WillGuardDeps): void {
  const { aedes, nodeAlive, isLocal, connectedOn, logger } = deps
  const stream = persistence.streamWill.bind(persistence)

  /**
   * Connected here or on a live node other than the dead one: right after a crash presence may
   * still name the dead node as the owner (its announcements are fresh), which does not count.
   */
  function reconnected(deviceId: string, deadNode: string): boolean {
    if (isLocal(deviceId)) return true
    const owner = connectedOn(deviceId)
    return owner !== undefined && owner !== deadNode
  }

  function publish(will: StoredWill): Promise<void> {
    const packet = { cmd: 'publish' as const, topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain, dup: false }
    return new Promise<void>((resolve, reject) => aedes.publish(packet, (err) => (err ? reject(err) : resolve())))
  }

  async function handleDeadNodeWill(will: StoredWill): Promise<void> {
    const owner = { id: will.clientId, brokerId: will.brokerId }
    const context = { deviceId: will.clientId, node: will.brokerId }
    if (reconnected(will.clientId, will.brokerId)) {
      logger.info(context, 'will of a dead node dropped: the device has reconnected')
    } else if (publishChannel(will.clientId, will.topic) === 'status') {
      logger.info(context, 'publishing the will of a device whose node died')
      await publish(will)
    } else {
      logger.warn({ ...context, topic: will.topic }, 'will of a dead node dropped: not the device status topic')
    }
    await persistence.delWill(owner)
  }

  async function* sweep(brokers: unknown): AsyncGenerator<never> {
    sweeps.publish({ node: aedes.id } satisfies WillSweep)
    // One Redis read per node and sweep: a dead node may leave thousands of wills.
    const liveness = new Map<string, Promise<boolean>>()
    for await (const will of stream(brokers) as AsyncIterable<StoredWill>) {
      if (will.brokerId === aedes.id) continue
      let alive = liveness.get(will.brokerId)
      if (alive === undefined) {
        liveness.set(will.brokerId, (alive = nodeAlive(will.brokerId)))
        if (await alive) logger.debug({ node: will.brokerId }, 'wills of a node aedes has not heard lately left alone: it beats')
      }
      if (await alive) continue
      await handleDeadNodeWill(will)
    }
  }

  persistence.streamWill = (brokers) => Readable.from(sweep(brokers))
}
