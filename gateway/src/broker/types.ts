import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import type { DeviceKind } from '../../../contract/device-events'
import type { DeviceChannel } from '../../../contract/topics'
import type { Crs } from '../geo/crs'

export type { DeviceChannel, DeviceKind }

export interface DeviceIdentity {
  deviceId: string
  tenantId: string
  elderId: string
  kind: DeviceKind
  /** What the device reports positions in (DESIGN §4); absent = wgs84. */
  crs?: Crs
}

/**
 * Why the gateway refused a whole message (DESIGN §3 "Bad input"): it is dead-lettered, never
 * routed to subscribers nor kept as a retained message, and MQTT 5 clients read the refusal in
 * the PUBACK reason code (refusals.ts). 3.1.1 has no negative PUBACK.
 */
export type MessageRefusal = 'payload_format_invalid' | 'quota_exceeded'

/** One part of a message the intake dead-lettered, and why (the intake's Rejection: ingest/types.ts). */
export interface MessageRejection {
  readonly reason: string
  readonly message: string
  /** Element of an array upload; absent for a single object. */
  readonly index?: number
}

/**
 * onMessage's answer: nothing when the message was taken whole; `{ rejected }` when it was taken
 * with some parts dead-lettered; `{ refused, rejected? }` when it was refused whole. The broker
 * reads `refused` only (its PUBACK reason code); `rejected` is for senders that can be told why
 * in words (HTTP ingest answers it), so extra fields cost MQTT nothing.
 */
export type MessageOutcome =
  | void
  | { readonly refused: MessageRefusal; readonly rejected?: readonly MessageRejection[] }
  | { readonly refused?: undefined; readonly rejected: readonly MessageRejection[] }

export interface BrokerHooks {
  /** Looks up the device and checks its secret (the gateway does the salted-hash + timingSafeEqual compare). null = refuse. */
  verifyDevice(deviceId: string, secret: string): Promise<DeviceIdentity | null>
  /**
   * Called for every authorised publish on the device's own topics. If it returns a promise, the broker
   * waits for it before letting aedes PUBACK / read more from that client: that is how a full writer
   * buffer applies backpressure to devices. A rejected promise disconnects the client without PUBACK
   * (the device resends). A refusal (MessageOutcome) still gets its PUBACK once it is dead-lettered.
   */
  onMessage(device: DeviceIdentity, channel: DeviceChannel, payload: Buffer, qos: 0 | 1 | 2): MessageOutcome | Promise<MessageOutcome>
  onConnect?(device: DeviceIdentity): void
  onDisconnect?(device: DeviceIdentity): void
}

/** The login throttle (throttle.ts): per (address, id) pair and per address, never per id alone. */
export interface AuthThrottleOptions {
  /** Failed logins of one id from one address before that pair waits (1 s, doubling per further failure). */
  maxFailures: number
  /** Quiet time after which failures are forgotten (a pair's: after its longest wait, plus this). */
  windowMs: number
  /** The longest a pair waits. */
  blockMs: number
  /** Failed logins from one address (any ids) before its new ids are delayed; default 4 × maxFailures. */
  addressMaxFailures?: number
  /** The longest such delay; default 10 s. */
  addressMaxDelayMs?: number
}

export interface BrokerOptions {
  /** 0 = ephemeral (tests). */
  port: number
  host: string
  /** PEM file paths; TLS when both are set (EG_TLS_CERT / EG_TLS_KEY). */
  tls?: { cert: string; key: string }
  logger: Logger
  metrics: Metrics
  authThrottle: AuthThrottleOptions
  /**
   * The largest payload accepted (EG_PAYLOAD_MAX_BYTES): MQTT 5 clients are told a Maximum Packet
   * Size of this plus room for topic and properties (mqtt5-bridge.ts). Absent: none declared.
   */
  maxPayloadBytes?: number
  /** Share bus and persistence with other gateways through Redis (cluster.ts); absent = one node, in memory. */
  cluster?: { redisUrl: string; name: string; heartbeatMs: number }
}

export interface Broker {
  /** The bound port (the real one when opts.port was 0). */
  readonly port: number
  /** Publishes `command` as JSON, QoS 1, not retained, to eg/v1/<deviceId>/cmd. */
  sendCommand(deviceId: string, command: object): Promise<void>
  /** Devices connected to this node. */
  connectedDevices(): number
  /** Connected to this node, or (clustered) to another live node. */
  isConnected(deviceId: string): boolean
  close(): Promise<void>
}
