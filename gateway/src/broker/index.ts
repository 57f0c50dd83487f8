import type { EventEmitter } from 'node:events'
import { Aedes, type Client } from 'aedes'
import { EgError } from '../errors'
import { commandTopic, isValidDeviceId } from '../../../contract/topics'
import { createAuthenticate } from './authenticate'
import { createAuthorizePublish, createAuthorizeSubscribe } from './authorize'
import { installBufferListFastReads } from './bl-readers'
import { installFastPubackWrites } from './puback-writes'
import { identityOf, sessionTermsOf } from './client-info'
import { createBrokerCluster } from './cluster'
import type { ClusterPresence } from './cluster-presence'
import { routeConnection } from './connections'
import { createMessageBus } from './emitter'
import { Mqtt5Bridge, declaredMaxPacketBytes } from './mqtt5-bridge'
import { createReadPacer } from './pacing'
import { UnroutedPublishes } from './unrouted'
import { listen } from './server'
import { SessionTable } from './sessions'
import { RetainHandling, carrySubscriptionOptions } from './subscription-options'
import { AuthThrottle } from './throttle'
import type { Broker, BrokerHooks, BrokerOptions, DeviceIdentity } from './types'

export type { Broker, BrokerHooks, BrokerOptions, DeviceChannel, DeviceIdentity, DeviceKind, AuthThrottleOptions, MessageOutcome, MessageRefusal, MessageRejection } from './types'
export { AuthThrottle } from './throttle'

/** Devices must send CONNECT this soon after the TCP (or TLS) connection opens. */
const CONNECT_TIMEOUT_MS = 30_000
/**
 * Bytes aedes may read from devices per turn of the event loop (pacing.ts): ~3,000 small
 * publishes, a few ms of work, so no flood holds the loop for long.
 */
const READ_BYTES_PER_TURN = 256 * 1024

/**
 * Starts the embedded MQTT broker of DESIGN §3: aedes with our identity, ACL and flood-safe
 * message bus, on TCP or TLS, MQTT 3.1.1 natively and MQTT 5 through the bridge.
 */
export async function startBroker(opts: BrokerOptions, hooks: BrokerHooks): Promise<Broker> {
  const { logger, metrics } = opts
  const log = logger.child({ component: 'broker' })
  installBufferListFastReads()
  installFastPubackWrites()
  const throttle = new AuthThrottle(opts.authThrottle)

  /** Devices connected to this node, by id. */
  const connected = new Map<string, Client>()
  // Clustered (EG_CLUSTER_REDIS_URL): bus and persistence in Redis, shared with the other nodes.
  const cluster = opts.cluster ? await createBrokerCluster({ ...opts.cluster, logger: log }) : undefined
  let aedes: Aedes | undefined
  let presence: ClusterPresence | undefined
  // MQTT 5 by the letter on aedes 1.2 (README "MQTT contract"): refused messages stay unrouted,
  // sessions expire and wills wait as asked, Retain Handling is applied.
  const unrouted = new UnroutedPublishes()
  const retainHandling = new RetainHandling()
  const sessions = new SessionTable({
    termsOf: sessionTermsOf,
    // A delayed will takes the way of any will: the ACL and intake (authorizePublish), then aedes.
    publishWill: (client, will) =>
      new Promise<void>((resolve) => authorizePublish(client, will, (err) => (err || aedes === undefined ? resolve() : aedes.publish(will, () => resolve())))),
    connectedElsewhere: (clientId) => presence?.elsewhere(clientId) ?? false,
    logger: log,
  })
  const authorizePublish = createAuthorizePublish({ hooks, metrics, logger: log, unrouted, sessions })
  try {
    aedes = await Aedes.createBroker({
      ...(cluster?.aedesOptions ?? { mq: createMessageBus() }),
      connectTimeout: CONNECT_TIMEOUT_MS,
      authenticate: sessions.claimOnAuthenticate(createAuthenticate({ hooks, throttle, metrics, logger: log })),
      authorizePublish,
      authorizeSubscribe: createAuthorizeSubscribe({ metrics, logger: log, retainHandling }),
    })
    unrouted.guard(aedes)
    retainHandling.attach(aedes)
    sessions.attach(aedes)
    // aedes reports persistence failures (Redis away) and unpublishable wills as 'error' events:
    // log them — unheard, an 'error' event would end the process.
    ;(aedes as EventEmitter).on('error', (err: Error) => log.error({ err }, 'mqtt broker error'))
    presence = await cluster?.attach(aedes, connected)
  } catch (err) {
    const started = aedes
    if (started) await new Promise<void>((resolve) => started.close(() => resolve()))
    await cluster?.close()
    throw err
  }

  // aedes emits 'client' when it registers a client (after authenticate,
  // before CONNACK) and 'clientDisconnect' when it unregisters one; a takeover by the same id
  // unregisters the old client first, so the pair stays balanced.
  aedes.on('client', (client) => {
    const device = identityOf(client)
    if (device === undefined) return
    connected.set(device.deviceId, client)
    metrics.connectedDevices.set(connected.size)
    log.info({ deviceId: device.deviceId }, 'device connected')
    callHook(hooks.onConnect, device, 'onConnect')
  })
  aedes.on('clientDisconnect', (client) => {
    const device = identityOf(client)
    if (device === undefined) return
    if (connected.get(device.deviceId) === client) connected.delete(device.deviceId)
    metrics.connectedDevices.set(connected.size)
    log.info({ deviceId: device.deviceId }, 'device disconnected')
    callHook(hooks.onDisconnect, device, 'onDisconnect')
  })
  // Per-connection failures (resets, protocol errors, ACL disconnects) concern that device only.
  aedes.on('clientError', (client, err) => log.debug({ deviceId: client.id, err: err.message }, 'mqtt client error'))
  aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'mqtt connection error'))

  function callHook(hook: ((device: DeviceIdentity) => void) | undefined, device: DeviceIdentity, name: string): void {
    if (hook === undefined) return
    try {
      hook(device)
    } catch (err) {
      log.error({ err, deviceId: device.deviceId }, `${name} hook threw`)
    }
  }

  const pace = createReadPacer(READ_BYTES_PER_TURN)
  let listener
  try {
    listener = await listen({
      port: opts.port,
      host: opts.host,
      tls: opts.tls,
      onSocket: (socket) =>
        routeConnection(socket, {
          handle: (conn) => {
            const client = aedes.handle(pace(conn))
            if (conn instanceof Mqtt5Bridge) carrySubscriptionOptions(client, conn)
          },
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          mqtt5MaxPacketBytes: opts.maxPayloadBytes === undefined ? undefined : declaredMaxPacketBytes(opts.maxPayloadBytes),
          onViolation: ({ violation, protocolLevel, clientId, remoteAddress }) => {
            // An oversize packet is a message refused as oversize, though its bytes were never read.
            if (violation === 'packet_too_large') metrics.messagesRejected.inc({ reason: 'oversize' })
            log.warn({ deviceId: clientId, remoteAddress, protocolLevel, violation }, 'mqtt protocol violation; connection closed')
          },
        }),
      onError: (err) => log.error({ err }, 'mqtt listener error'),
    })
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    await cluster?.close()
    throw err
  }
  log.info({ port: listener.port, tls: opts.tls !== undefined }, 'mqtt broker listening')

  let closing: Promise<void> | undefined
  const server = listener

  return {
    port: listener.port,

    sendCommand(deviceId, command) {
      if (!isValidDeviceId(deviceId)) {
        return Promise.reject(new EgError('VALIDATION_FAILED', `invalid device id for a command: ${JSON.stringify(deviceId)}`))
      }
      const payload = Buffer.from(JSON.stringify(command))
      return new Promise<void>((resolve, reject) => {
        aedes.publish({ cmd: 'publish', topic: commandTopic(deviceId), payload, qos: 1, retain: false, dup: false }, (err) =>
          err ? reject(err) : resolve(),
        )
      })
    },

    connectedDevices: () => connected.size,
    // On a cluster, a device connected to another node counts: commands reach it over the shared bus.
    isConnected: (deviceId) => connected.has(deviceId) || (presence?.elsewhere(deviceId) ?? false),

    close() {
      closing ??= (async () => {
        // Stop accepting first; then delayed wills go out (the sessions end with us) and aedes
        // closes its clients (wills fire, hooks run); then the listener destroys sockets still in
        // the CONNECT phase, which aedes never saw.
        await server.close(async () => {
          await sessions.close()
          await new Promise<void>((resolve) => aedes.close(() => resolve()))
        })
        await cluster?.close()
        connected.clear()
        metrics.connectedDevices.set(0)
        log.info('mqtt broker closed')
      })()
      return closing
    },
  }
}
