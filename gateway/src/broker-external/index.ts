import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt'
import { commandTopic, isValidDeviceId, parseDeviceTopic } from '../../../contract/topics'
import type { Broker, BrokerHooks, DeviceIdentity } from '../broker/types'
import { EgError } from '../errors'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import { createPresence } from './presence'
import { sharedFilters, statusFilter } from './topics'

/**
 * EG_BROKER=external: the gateway runs no broker; it is one worker of a group subscribed to an
 * existing MQTT 5 cluster (EMQX, VerneMQ, HiveMQ, Mosquitto) and implements the same Broker
 * interface as the embedded one, so the rest of the gateway cannot tell the difference.
 *
 * - Telemetry, events and acks arrive through shared subscriptions: one worker of the group
 *   gets each message. Status arrives unshared (topics.ts says why).
 * - The cluster authenticated the device (through our authn/authz endpoints); the topic names
 *   the device, and the registry gives its tenant and elder. Unknown ids are counted, dropped.
 * - A message is acknowledged only after hooks.onMessage settled: mqtt.js sends the PUBACK
 *   when handleMessage calls back, and reads the next packet only then, so a full writer
 *   buffer slows this worker's intake and the broker holds (or gives other workers) the rest.
 *   A rejected onMessage (the writer refuses: shutting down) drops the connection without
 *   PUBACK. With a stable EG_WORKER_ID the session outlives the connection (clean start off,
 *   session expiry) and the broker redelivers on reconnect; with a per-process id the session
 *   ends with the connection, and whether the broker hands the unacknowledged message to another
 *   worker of the group is up to the broker (MQTT 5 §4.8.2 says it SHOULD).
 */
export interface ExternalBrokerOptions {
  url: string
  username?: string | undefined
  password?: string | undefined
  /** The `$share/<group>/...` group: the workers that split the load. */
  shareGroup: string
  /** Also this worker's MQTT client id: EG_WORKER_ID, or eg-worker-<host>-<pid>-<rand>. */
  workerId: string
  /** How long the broker keeps this worker's session (and its unacknowledged messages) after a drop; see external-mode.ts. */
  sessionExpirySec: number
  logger: Logger
  metrics: Metrics
  lookupDevice(deviceId: string): Promise<DeviceIdentity | null>
}

const CONNECT_TIMEOUT_MS = 10_000

export interface ExternalBroker extends Broker {
  /** Messages this worker took from the cluster, by channel (tests: exactly one worker per message). */
  received(): number
}

export async function startExternalBroker(opts: ExternalBrokerOptions, hooks: Omit<BrokerHooks, 'verifyDevice'>): Promise<ExternalBroker> {
  const log = opts.logger.child({ component: 'broker-external', workerId: opts.workerId })
  const counters = opts.metrics.cluster
  let receivedCount = 0
  const presence = createPresence({
    ...(hooks.onConnect ? { onConnect: hooks.onConnect } : {}),
    ...(hooks.onDisconnect ? { onDisconnect: hooks.onDisconnect } : {}),
    onChange: (count) => opts.metrics.connectedDevices.set(count),
    onBadStatus: () => opts.metrics.messagesRejected.inc({ reason: 'bad_status' }),
  })

  const client: MqttClient = mqtt.connect(opts.url, {
    protocolVersion: 5,
    clientId: opts.workerId,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    clean: false,
    properties: { sessionExpiryInterval: opts.sessionExpirySec },
    reconnectPeriod: 1_000,
    connectTimeout: CONNECT_TIMEOUT_MS,
    manualConnect: true,
  })

  /** The message being handled now (mqtt.js hands over one at a time). */
  let handling: Promise<void> = Promise.resolve()

  async function handle(packet: IPublishPacket): Promise<'ack' | 'drop-connection'> {
    const parsed = parseDeviceTopic(packet.topic)
    if (parsed === null) {
      counters.dropped.inc({ reason: 'topic' })
      return 'ack'
    }
    const device = await opts.lookupDevice(parsed.deviceId)
    if (device === null) {
      counters.dropped.inc({ reason: 'unknown_device' })
      log.debug({ deviceId: parsed.deviceId }, 'message of an unregistered device dropped')
      return 'ack'
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    if (parsed.channel === 'status') {
      presence.onStatus(device, payload)
      return 'ack'
    }
    counters.received.inc({ channel: parsed.channel })
    receivedCount++
    try {
      await hooks.onMessage(device, parsed.channel, payload, packet.qos)
      return 'ack'
    } catch (err) {
      log.warn({ err, deviceId: device.deviceId, channel: parsed.channel }, 'onMessage rejected; reconnecting without PUBACK so the cluster redelivers')
      return 'drop-connection'
    }
  }

  client.handleMessage = (packet, callback) => {
    const run = handle(packet).then(
      (outcome) => {
        if (outcome === 'ack') callback()
        // No callback: no PUBACK. The stream is dropped; mqtt.js reconnects and resumes the session.
        else client.stream.destroy()
      },
      (err: unknown) => {
        log.error({ err }, 'cluster message handling failed; reconnecting without PUBACK')
        client.stream.destroy()
      },
    )
    handling = run
  }

  // mqtt.js subscribes again by itself after a reconnect whose session the broker forgot
  // (sessionPresent false); a resumed session still has its subscriptions.
  client.on('connect', (connack) => log.info({ sessionPresent: connack.sessionPresent }, 'connected to the MQTT cluster'))
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt cluster client error'))
  client.on('offline', () => log.warn('MQTT cluster unreachable; reconnecting'))

  client.connect()
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.end(true)
      reject(new EgError('BROKER_UNAVAILABLE', `cannot connect to EG_MQTT_URL within ${CONNECT_TIMEOUT_MS} ms`))
    }, CONNECT_TIMEOUT_MS)
    client.once('connect', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  // The first subscriptions are in place before the gateway reports ready.
  const grants = await client.subscribeAsync([...sharedFilters(opts.shareGroup), statusFilter], { qos: 1 })
  const refused = grants.filter((g) => g.qos >= 0x80).map((g) => g.topic)
  if (refused.length > 0) {
    await client.endAsync(true)
    throw new EgError('BROKER_UNAVAILABLE', `the MQTT cluster refused ${refused.join(', ')} (its ACL, or no MQTT 5 shared subscriptions)`)
  }
  log.info({ shareGroup: opts.shareGroup }, 'subscribed to the MQTT cluster')

  let closing: Promise<void> | undefined
  return {
    port: 0,
    sendCommand(deviceId, command) {
      if (!isValidDeviceId(deviceId)) {
        return Promise.reject(new EgError('VALIDATION_FAILED', `invalid device id for a command: ${JSON.stringify(deviceId)}`))
      }
      // Resolves on the cluster's PUBACK; while disconnected mqtt.js keeps it and sends it on reconnect.
      return client.publishAsync(commandTopic(deviceId), JSON.stringify(command), { qos: 1, retain: false }).then(() => undefined)
    },
    connectedDevices: () => presence.count(),
    isConnected: (deviceId) => presence.isOnline(deviceId),
    received: () => receivedCount,
    close() {
      closing ??= (async () => {
        // Stop the flow first, let the message in hand finish (and be PUBACKed), then end the
        // session: expiry 0 on DISCONNECT tells the broker not to keep messages for this id.
        await client.unsubscribeAsync(sharedFilters(opts.shareGroup)).catch(() => undefined)
        await handling
        await client.endAsync(false, { properties: { sessionExpiryInterval: 0 } })
        opts.metrics.connectedDevices.set(0)
        log.info('left the MQTT cluster')
      })()
      return closing
    },
  }
}
