import type { AedesOptions, Client, PublishPacket } from 'aedes'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import { publishChannel } from '../../../contract/topics'
import { coalesceWrites } from './ack-coalescing'
import { maySubscribe } from './acl'
import { mayHaveReceivers } from './listeners'
import { identityOf, mqtt5Of, remoteAddressOf } from './client-info'
import { REFUSAL_REASON_CODE, refusalOf, type UnroutedPublishes } from './unrouted'
import type { SessionTable } from './sessions'
import type { RetainHandling } from './subscription-options'
import type { BrokerHooks, MessageOutcome } from './types'

type AuthorizePublishHandler = NonNullable<AedesOptions['authorizePublish']>
type AuthorizeSubscribeHandler = NonNullable<AedesOptions['authorizeSubscribe']>

export interface AuthorizeDeps {
  hooks: Pick<BrokerHooks, 'onMessage'>
  metrics: Metrics
  logger: Logger
  /** Where refused messages, and those nobody can receive, are marked so aedes does not route them (unrouted.ts). */
  unrouted?: UnroutedPublishes
  /** Holds wills an MQTT 5 device asked to delay (sessions.ts). */
  sessions?: Pick<SessionTable, 'deferWill'>
}

/** Not a failure: aedes drops the will it was about to send, the session table sends it later. */
const WILL_HELD = new Error('will held for its Will Delay Interval')

/**
 * The aedes `authorizePublish` hook: the ACL, and the hand-off to the gateway.
 *
 * It is also where messages are delivered to onMessage, because it is the last point before
 * aedes writes the PUBACK (aedes 1.2 acks QoS 1 *before* it routes the message). Holding the
 * callback until onMessage's promise settles therefore delays the PUBACK and, since aedes reads
 * the next chunk from a client only when every packet of the current one is done, stops reading
 * from that device: backpressure from the writer buffer reaches the device's TCP window.
 *
 * A message the gateway refused (MessageOutcome: dead-lettered, DESIGN §3) is still
 * acknowledged — its fate is durable — but marked so aedes does not route or retain it, and an
 * MQTT 5 device reads the refusal in the PUBACK reason code (0x99, 0x97); 3.1.1 has none.
 * An ACL breach fails the callback: aedes drops the packet and closes the connection, the 3.1.1
 * answer (no negative PUBACK); an MQTT 5 device first gets DISCONNECT 0x87 "not authorized".
 * Wills pass through here too, so a device's `offline` will reaches onMessage('status') like
 * any message.
 */
export function createAuthorizePublish(deps: AuthorizeDeps): AuthorizePublishHandler {
  const { hooks, metrics, logger, unrouted, sessions } = deps

  return function authorizePublish(client, packet, callback) {
    if (client !== null && client.closed && sessions?.deferWill(client, packet) === true) {
      callback(WILL_HELD)
      return
    }
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
      if (client !== null && !client.closed) mqtt5Of(client)?.disconnect(NOT_AUTHORIZED)
      callback(new Error('publish not authorised for this device'))
      return
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    let outcome: MessageOutcome | PromiseLike<MessageOutcome>
    try {
      outcome = hooks.onMessage(device, channel, payload, packet.qos)
    } catch (err) {
      logger.error({ err, deviceId: device.deviceId, channel }, 'onMessage threw; disconnecting device')
      callback(err instanceof Error ? err : new Error(String(err)))
      return
    }
    if (!isPromiseLike(outcome)) {
      settle(outcome, client, packet, unrouted, callback)
      return
    }
    outcome.then(
      (settled) => {
        // Settled by a commit that released many messages at once: one write of PUBACKs per device.
        if (client !== null) coalesceWrites(client.conn)
        settle(settled, client, packet, unrouted, callback)
      },
      (err: unknown) => {
        // The device resends: no PUBACK went out, and the disconnect tells it to reconnect.
        logger.warn({ err, deviceId: device.deviceId, channel }, 'onMessage rejected; disconnecting device without PUBACK')
        if (client !== null && !client.closed) mqtt5Of(client)?.disconnect(SERVER_BUSY)
        callback(err instanceof Error ? err : new Error(String(err)))
      },
    )
  }
}

function isPromiseLike(value: MessageOutcome | PromiseLike<MessageOutcome>): value is PromiseLike<MessageOutcome> {
  const candidate: unknown = value
  return typeof candidate === 'object' && candidate !== null && typeof (candidate as { then?: unknown }).then === 'function'
}

/** MQTT 5 DISCONNECT reason codes (§3.14.2.1). */
const NOT_AUTHORIZED = 0x87
const SERVER_BUSY = 0x89

function settle(
  outcome: MessageOutcome,
  client: Client | null,
  packet: PublishPacket,
  unrouted: UnroutedPublishes | undefined,
  callback: (error?: Error | null) => void,
): void {
  const refusal = refusalOf(outcome)
  if (refusal === undefined) {
    if (!mayHaveReceivers(client, packet)) unrouted?.mark(packet)
  } else {
    unrouted?.mark(packet)
    if (client !== null && packet.messageId !== undefined) mqtt5Of(client)?.refusePublish(packet.messageId, REFUSAL_REASON_CODE[refusal])
  }
  callback(null)
}

/**
 * The aedes `authorizeSubscribe` hook: filters under the device's own prefix only. A refused
 * filter gets SUBACK 0x80 (aedes turns a null subscription into the failure code) and the
 * connection stays up, as MQTT 3.1.1 §3.9.3 intends. It is also where MQTT 5 Retain Handling
 * is decided, the last moment before aedes adds the subscription (subscription-options.ts).
 */
export function createAuthorizeSubscribe(deps: Pick<AuthorizeDeps, 'metrics' | 'logger'> & { retainHandling?: RetainHandling }): AuthorizeSubscribeHandler {
  const { metrics, logger, retainHandling } = deps

  return function authorizeSubscribe(client, subscription, callback) {
    const device = identityOf(client)
    if (device !== undefined && maySubscribe(device.deviceId, subscription.topic)) {
      retainHandling?.decide(client, subscription)
      callback(null, subscription)
      return
    }
    metrics.aclDenied.inc({ action: 'subscribe' })
    logger.warn({ deviceId: client.id, filter: subscription.topic, remoteAddress: remoteAddressOf(client) }, 'mqtt subscribe refused by ACL')
    callback(null, null)
  }
}
