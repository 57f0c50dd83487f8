import { Readable } from 'node:stream'
import type { Aedes } from 'aedes'
import type { Logger } from '../logger.js'
import { publishChannel } from './acl.js'

/**
 * The wills of a node that died (stopped heart-beating), as the gateway wants them handled.
 *
 * aedes has a surviving node replay them from the shared persistence, a few heartbeats after the
 * death, through authorizePublish with a null client — which the ACL cannot attribute — and,
 * worse, also for devices that have meanwhile reconnected to a surviving node: after a node
 * crash every device that moved would be marked "offline" minutes later. So this guard takes the
 * replay over (it wraps `persistence.streamWill` and yields nothing to aedes):
 * - a will whose device is connected now (here or on another live node) is stale: deleted unsent;
 * - otherwise, if it is the device's own status topic (DESIGN §3: devices set `"offline"` there),
 *   it is published as stored (retained offline status in the shared persistence) and deleted;
 * - anything else is deleted unsent (the ACL would have refused it from the device).
 * The gateway's own device-activity record is not touched (no DeviceIdentity without the
 * client): it is refreshed when the device connects again.
 */
export interface WillGuardDeps {
  aedes: Aedes
  isConnected(deviceId: string): boolean
  logger: Logger
}

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
  const { aedes, isConnected, logger } = deps
  const stream = persistence.streamWill.bind(persistence)

  async function* handle(brokers: unknown): AsyncGenerator<never> {
    for await (const will of stream(brokers) as AsyncIterable<StoredWill>) {
      await persistence.delWill({ id: will.clientId, brokerId: will.brokerId })
      if (isConnected(will.clientId)) {
        logger.info({ deviceId: will.clientId, node: will.brokerId }, 'will of a dead node dropped: the device has reconnected')
      } else if (publishChannel(will.clientId, will.topic) === 'status') {
        logger.info({ deviceId: will.clientId, node: will.brokerId }, 'publishing the will of a device whose node died')
        await new Promise<void>((resolve, reject) =>
          aedes.publish({ cmd: 'publish', topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain, dup: false }, (err) =>
            err ? reject(err) : resolve(),
          ),
        )
      } else {
        logger.warn({ deviceId: will.clientId, topic: will.topic }, 'will of a dead node dropped: not the device status topic')
      }
    }
  }

  persistence.streamWill = (brokers) => Readable.from(handle(brokers))
}
