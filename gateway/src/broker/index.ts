import { Aedes, type Client } from 'aedes'
import { EgError } from '../errors.js'
import { commandTopic, isValidDeviceId } from './acl.js'
import { createAuthenticate } from './authenticate.js'
import { createAuthorizePublish, createAuthorizeSubscribe } from './authorize.js'
import { identityOf } from './client-info.js'
import { routeConnection } from './connections.js'
import { createMessageBus } from './emitter.js'
import { createReadPacer } from './pacing.js'
import { listen } from './server.js'
import { AuthThrottle } from './throttle.js'
import type { Broker, BrokerHooks, BrokerOptions, DeviceIdentity } from './types.js'

export type { Broker, BrokerHooks, BrokerOptions, DeviceChannel, DeviceIdentity, DeviceKind, AuthThrottleOptions } from './types.js'
export { AuthThrottle } from './throttle.js'

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
  const throttle = new AuthThrottle(opts.authThrottle)

  const aedes = await Aedes.createBroker({
    mq: createMessageBus(),
    connectTimeout: CONNECT_TIMEOUT_MS,
    authenticate: createAuthenticate({ hooks, throttle, metrics, logger: log }),
    authorizePublish: createAuthorizePublish({ hooks, metrics, logger: log }),
    authorizeSubscribe: createAuthorizeSubscribe({ metrics, logger: log }),
  })

  // Connected devices by id. aedes emits 'client' when it registers a client (after authenticate,
  // before CONNACK) and 'clientDisconnect' when it unregisters one; a takeover by the same id
  // unregisters the old client first, so the pair stays balanced.
  const connected = new Map<string, Client>()
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
      onSocket: (socket) => routeConnection(socket, { handle: (conn) => aedes.handle(pace(conn)), connectTimeoutMs: CONNECT_TIMEOUT_MS }),
      onError: (err) => log.error({ err }, 'mqtt listener error'),
    })
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
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
    isConnected: (deviceId) => connected.has(deviceId),

    close() {
      closing ??= (async () => {
        // Stop accepting first; then aedes closes its clients (wills fire, hooks run); then the
        // listener destroys sockets still in the CONNECT phase, which aedes never saw.
        await server.close(() => new Promise<void>((resolve) => aedes.close(() => resolve())))
        connected.clear()
        metrics.connectedDevices.set(0)
        log.info('mqtt broker closed')
      })()
      return closing
    },
  }
}
