import type { AedesOptions } from 'aedes'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { maySubscribe, publishChannel } from './acl.js'
import { identityOf, remoteAddressOf } from './client-info.js'
import type { BrokerHooks } from './types.js'

type AuthorizePublishHandler = NonNullable<AedesOptions['authorizePublish']>
type AuthorizeSubscribeHandler = NonNullable<AedesOptions['authorizeSubscribe']>

export interface AuthorizeDeps {
  hooks: Pick<BrokerHooks, 'onMessage'>
  metrics: Metrics
  logger: Logger
}

/**
 * The aedes `authorizePublish` hook: the ACL, and the hand-off to the gateway.
 *
 * It is also where messages are delivered to onMessage, because it is the last point before
 * aedes writes the PUBACK (aedes 1.2 acks QoS 1 *before* it routes the message). Holding the
 * callback until onMessage's promise settles therefore delays the PUBACK and, since aedes reads
 * the next chunk from a client only when every packet of the current one is done, stops reading
 * from that device: backpressure from the writer buffer reaches the device's TCP window.
 *
 * A refusal (callback with an error) makes aedes drop the packet and close the connection: the
 * 3.1.1 answer to an ACL breach, which has no negative PUBACK. Wills pass through here too, so a
 * device's `offline` will reaches onMessage('status') like any message.
 */
export function createAuthorizePublish(deps: AuthorizeDeps): AuthorizePublishHandler {
  const { hooks, metrics, logger } = deps

  return function authorizePublish(client, packet, callback) {
    // client is null only for wills aedes replays for a dead node of a cluster; cluster-wills.ts
    // takes those over before they get here, and a will without its device's identity cannot be
    // attributed: refuse it.
    const device = client === null ? undefined : identityOf(client)
    const channel = device === undefined ? null : publishChannel(device.deviceId, packet.topic)
    if (device === undefined || channel === null) {
      metrics.aclDenied.inc({ action: 'publish' })
      logger.warn(
        { deviceId: device?.deviceId ?? client?.id, topic: packet.topic, remoteAddress: client === null ? undefined : remoteAddressOf(client) },
        'mqtt publish refused by ACL; disconnecting',
      )
      callback(new Error('publish not authorised for this device'))
      return
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    let pending: void | Promise<void>
    try {
      pending = hooks.onMessage(device, channel, payload, packet.qos)
    } catch (err) {
      logger.error({ err, deviceId: device.deviceId, channel }, 'onMessage threw; disconnecting device')
      callback(err instanceof Error ? err : new Error(String(err)))
      return
    }
    if (pending === undefined) {
      callback(null)
      return
    }
    pending.then(
      () => callback(null),
      (err: unknown) => {
        // The device resends: no PUBACK went out, and the disconnect tells it to reconnect.
        logger.warn({ err, deviceId: device.deviceId, channel }, 'onMessage rejected; disconnecting device without PUBACK')
        callback(err instanceof Error ? err : new Error(String(err)))
      },
    )
  }
}

/**
 * The aedes `authorizeSubscribe` hook: filters under the device's own prefix only. A refused
 * filter gets SUBACK 0x80 (aedes turns a null subscription into the failure code) and the
 * connection stays up, as MQTT 3.1.1 §3.9.3 intends.
 */
export function createAuthorizeSubscribe(deps: Omit<AuthorizeDeps, 'hooks'>): AuthorizeSubscribeHandler {
  const { metrics, logger } = deps

  return function authorizeSubscribe(client, subscription, callback) {
    const device = identityOf(client)
    if (device !== undefined && maySubscribe(device.deviceId, subscription.topic)) {
      callback(null, subscription)
      return
    }
    metrics.aclDenied.inc({ action: 'subscribe' })
    logger.warn({ deviceId: client.id, filter: subscription.topic, remoteAddress: remoteAddressOf(client) }, 'mqtt subscribe refused by ACL')
    callback(null, null)
  }
}
