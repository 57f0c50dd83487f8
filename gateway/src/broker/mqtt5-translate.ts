import type { ISubscription, Packet } from 'mqtt-packet'
import type { SessionTerms } from './session-terms'

/**
 * The packet translation of the MQTT 5 bridge (mqtt5-bridge.ts), with the per-connection state
 * it needs: device (MQTT 5) → aedes (3.1.1) and back. The bridge owns the bytes; this owns what
 * the packets mean.
 */

/** MQTT 5 reason codes used here (§2.4). */
export const REASON = {
  SUCCESS: 0x00,
  DISCONNECT_WITH_WILL: 0x04,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  NOT_AUTHORIZED: 0x87,
  SERVER_BUSY: 0x89,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
  SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: 0xa1,
} as const

/** The words for the reason codes the bridge closes a connection with (DISCONNECT / CONNACK Reason String). */
export const REASON_STRINGS: Readonly<Record<number, string>> = {
  [REASON.MALFORMED_PACKET]: 'malformed packet (for example a topic that is not well-formed UTF-8)',
  [REASON.PROTOCOL_ERROR]: 'protocol error',
  [REASON.NOT_AUTHORIZED]: 'not authorized: publish only under eg/v1/<your id>/',
  [REASON.SERVER_BUSY]: 'server busy: the message was not stored; reconnect and send it again',
  [REASON.BAD_AUTHENTICATION_METHOD]: 'enhanced authentication is not offered; use username and password',
  [REASON.TOPIC_ALIAS_INVALID]: 'topic aliases are not offered (Topic Alias Maximum 0)',
  [REASON.PACKET_TOO_LARGE]: 'packet over the Maximum Packet Size in CONNACK',
  [REASON.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED]: 'shared subscriptions are not offered (CONNACK Shared Subscription Available 0)',
  [REASON.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED]: 'subscription identifiers are not offered (CONNACK Subscription Identifiers Available 0)',
}

/** 3.1.1 CONNACK return code → MQTT 5 reason code (MQTT 5 §3.2.2.2). */
const connackReason: Record<number, number> = {
  0: 0x00, // success
  1: 0x84, // unsupported protocol version
  2: 0x85, // client identifier not valid
  3: 0x88, // server unavailable
  4: 0x86, // bad user name or password
  5: 0x87, // not authorized
}

/** What downgrade() asks of the bridge besides forwarding: refuse with a reason, or end as 3.1.1 cannot say. */
export type DeviceAction = { refuse: number } | { endWithWill: true }

type SubscriptionOptions = Pick<ISubscription, 'nl' | 'rap' | 'rh'>

export class Mqtt5Translator implements SessionTerms {
  clientId: string | undefined
  cleanStart = true
  sessionExpirySeconds = 0
  willDelaySeconds = 0
  /** The client's Maximum Packet Size (CONNECT property): nothing bigger may be sent to it [MQTT-3.1.2-24]. */
  clientMaxPacketBytes = Number.POSITIVE_INFINITY
  /** What the CONNACK sent said: DISCONNECT may follow only an accepting one [MQTT-3.14.0-1]. */
  connack: 'not sent' | 'accepted' | 'refused' = 'not sent'
  private resumed = false
  /** PUBACK/PUBREC reason codes for publishes the gateway refused, by packet identifier. */
  private readonly refusals = new Map<number, number>()
  /** UNSUBACK in MQTT 5 carries one reason code per filter; 3.1.1's carries none: remember the count. */
  private readonly unsubscribeCounts = new Map<number, number>()
  /** Subscription options of each SUBSCRIBE sent to aedes, in order, for carrySubscriptionOptions(). */
  private readonly subscriptionOptions: SubscriptionOptions[][] = []

  constructor(
    /** The Maximum Packet Size declared in CONNACK; undefined: none declared. */
    private readonly serverMaxPacketBytes: number | undefined,
  ) {}

  sessionResumed(): void {
    this.resumed = true
  }

  refusePublish(messageId: number, reasonCode: number): void {
    this.refusals.set(messageId, reasonCode)
  }

  /**
   * MQTT 5 subscription options (No Local, Retain As Published, Retain Handling) have no place in
   * a 3.1.1 SUBSCRIBE: they are put back on the packet aedes parsed, in the order sent.
   */
  restoreSubscriptionOptions(subscriptions: ISubscription[]): void {
    const options = this.subscriptionOptions.shift()
    if (options === undefined) return
    subscriptions.forEach((subscription, i) => Object.assign(subscription, options[i]))
  }

  /** Device (MQTT 5) → aedes (3.1.1): the packet to forward, or what the bridge must do instead. */
  downgrade(packet: Packet): Packet | DeviceAction {
    switch (packet.cmd) {
      case 'connect': {
        const { clientId, clean, keepalive, username, password, will, properties } = packet
        this.clientId = clientId
        this.cleanStart = clean !== false
        this.sessionExpirySeconds = properties?.sessionExpiryInterval ?? 0
        this.willDelaySeconds = will?.properties?.willDelayInterval ?? 0
        this.clientMaxPacketBytes = properties?.maximumPacketSize ?? Number.POSITIVE_INFINITY
        // aedes keeps a session only for clean = false. A session that outlives the connection
        // must be kept; one that ends with it (expiry 0) and starts clean is aedes' clean session.
        // Clean Start with an expiry is wiped by the session table before aedes resumes it.
        const keepSession = !this.cleanStart || this.sessionExpirySeconds > 0
        return {
          cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: !keepSession, keepalive, username, password,
          will: will === undefined ? undefined : { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain },
        }
      }
      case 'publish': {
        if (packet.properties?.topicAlias !== undefined) return { refuse: REASON.TOPIC_ALIAS_INVALID }
        const { topic, payload, qos, retain, dup, messageId } = packet
        return { cmd: 'publish', topic, payload, qos, retain, dup, messageId }
      }
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        return { cmd: packet.cmd, messageId: packet.messageId }
      case 'subscribe': {
        // CONNACK says both are unavailable; using them anyway is a protocol error (§3.2.2.3.12, .13).
        if (packet.properties?.subscriptionIdentifier !== undefined) return { refuse: REASON.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED }
        if (packet.subscriptions.some((s) => s.topic.startsWith('$share/'))) return { refuse: REASON.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED }
        this.subscriptionOptions.push(packet.subscriptions.map(({ nl, rap, rh }) => ({ nl: nl === true, rap: rap === true, rh: rh ?? 0 })))
        return { cmd: 'subscribe', messageId: packet.messageId, subscriptions: packet.subscriptions.map(({ topic, qos }) => ({ topic, qos })) }
      }
      case 'unsubscribe':
        if (packet.messageId !== undefined) this.unsubscribeCounts.set(packet.messageId, packet.unsubscriptions.length)
        return { cmd: 'unsubscribe', messageId: packet.messageId, unsubscriptions: packet.unsubscriptions }
      case 'pingreq':
        return { cmd: 'pingreq' }
      case 'disconnect': {
        const expiry = packet.properties?.sessionExpiryInterval
        if (expiry !== undefined) {
          // A session that was to end with the connection cannot be extended at its end [MQTT-3.14.2-2].
          if (this.sessionExpirySeconds === 0 && expiry !== 0) return { refuse: REASON.PROTOCOL_ERROR }
          this.sessionExpirySeconds = expiry
        }
        // 3.1.1 has no "disconnect but publish my will": the bridge ends the stream without
        // DISCONNECT, which aedes treats as an unclean close and so publishes the will.
        if (packet.reasonCode === REASON.DISCONNECT_WITH_WILL) return { endWithWill: true }
        return { cmd: 'disconnect' }
      }
      case 'auth':
        // Enhanced authentication is not offered; devices authenticate with username/password.
        return { refuse: REASON.BAD_AUTHENTICATION_METHOD }
      default:
        // Server-to-client packets from a client are a protocol error.
        return { refuse: REASON.PROTOCOL_ERROR }
    }
  }

  /** aedes (3.1.1) → device (MQTT 5). */
  upgrade(packet: Packet): Packet {
    switch (packet.cmd) {
      case 'connack': {
        const reasonCode = connackReason[packet.returnCode ?? 0] ?? 0x80
        if (reasonCode !== REASON.SUCCESS) return { cmd: 'connack', sessionPresent: false, reasonCode }
        // Session Present: never after Clean Start [MQTT-3.2.2-2]; else whether a session was
        // there — aedes says so only when it held subscriptions, the session table knows more.
        const sessionPresent = !this.cleanStart && (packet.sessionPresent || this.resumed)
        return { cmd: 'connack', sessionPresent, reasonCode, properties: this.connackProperties() }
      }
      case 'suback':
        // 3.1.1 granted QoS 0/1/2 and failure 0x80 are the same numbers as the MQTT 5 reason codes.
        return { cmd: 'suback', messageId: packet.messageId, granted: packet.granted }
      case 'unsuback': {
        const id = packet.messageId ?? 0
        const count = this.unsubscribeCounts.get(id) ?? 1
        this.unsubscribeCounts.delete(id)
        return { cmd: 'unsuback', messageId: id, granted: new Array<number>(count).fill(0) }
      }
      case 'puback':
      case 'pubrec': {
        const id = packet.messageId ?? 0
        const reasonCode = this.refusals.get(id) ?? REASON.SUCCESS
        if (reasonCode !== REASON.SUCCESS) this.refusals.delete(id)
        return { cmd: packet.cmd, messageId: id, reasonCode }
      }
      case 'pubrel':
      case 'pubcomp':
        return { cmd: packet.cmd, messageId: packet.messageId, reasonCode: REASON.SUCCESS }
      default:
        return packet
    }
  }

  /**
   * What this server does and does not do, said in CONNACK (§3.2.2.3) so MQTT 5 clients need not
   * guess: no Subscription Identifiers and no Shared Subscriptions (a device subscribes only to
   * its own topics), wildcards and retained messages yes, no Topic Aliases (the property's
   * absence means 0), and the largest packet accepted.
   */
  private connackProperties(): NonNullable<Extract<Packet, { cmd: 'connack' }>['properties']> {
    return {
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: false,
      sharedSubscriptionAvailable: false,
      ...(this.serverMaxPacketBytes === undefined ? {} : { maximumPacketSize: this.serverMaxPacketBytes }),
    }
  }
}
