import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'

export type DeviceKind = 'watch' | 'camera'

export interface DeviceIdentity {
  deviceId: string
  tenantId: string
  elderId: string
  kind: DeviceKind
}

/** The device → gateway topics of DESIGN §3, named by their last level(s). */
export type DeviceChannel = 'telemetry' | 'event' | 'status' | 'cmd/ack'

export interface BrokerHooks {
  /** Looks up the device and checks its secret (the gateway does the salted-hash + timingSafeEqual compare). null = refuse. */
  verifyDevice(deviceId: string, secret: string): Promise<DeviceIdentity | null>
  /**
   * Called for every authorised publish on the device's own topics. If it returns a promise, the broker
   * waits for it before letting aedes PUBACK / read more from that client: that is how a full writer
   * buffer applies backpressure to devices. A rejected promise disconnects the client without PUBACK
   * (the device resends).
   */
  onMessage(device: DeviceIdentity, channel: DeviceChannel, payload: Buffer, qos: 0 | 1 | 2): void | Promise<void>
  onConnect?(device: DeviceIdentity): void
  onDisconnect?(device: DeviceIdentity): void
}

export interface AuthThrottleOptions {
  /** Failed logins from one remote address, or for one client id, that trigger a block. */
  maxFailures: number
  /** The sliding window those failures are counted in. */
  windowMs: number
  /** How long a key stays blocked once it trips. */
  blockMs: number
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
