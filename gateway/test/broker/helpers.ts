import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt'
import { createLogger } from '../../src/logger'
import { createMetrics, type Metrics } from '../../src/metrics'
import { startBroker, type Broker, type BrokerHooks, type BrokerOptions, type DeviceChannel, type DeviceIdentity } from '../../src/broker/index'

/** The two devices of the in-memory device store every broker test uses. */
export const WATCH: DeviceIdentity = { deviceId: 'watch-1', tenantId: 't1', elderId: 'elder-1', kind: 'watch' }
export const CAMERA: DeviceIdentity = { deviceId: 'cam-2', tenantId: 't1', elderId: 'elder-2', kind: 'camera' }
export const SECRETS: Record<string, string> = { 'watch-1': 'watch-secret-Hx7', 'cam-2': 'camera-secret-Qp9' }
const devices = new Map([WATCH, CAMERA].map((d) => [d.deviceId, d]))

export interface ReceivedMessage {
  device: DeviceIdentity
  channel: DeviceChannel
  payload: string
  qos: 0 | 1 | 2
}

export interface TestBroker {
  broker: Broker
  metrics: Metrics
  logLines: string[]
  received: ReceivedMessage[]
  verifyCalls: string[]
  events: string[]
  /** Replace to hold or fail onMessage; the default records and returns nothing. */
  onMessage: BrokerHooks['onMessage'] | undefined
  url: string
}

export async function startTestBroker(overrides: Partial<BrokerOptions> = {}): Promise<TestBroker> {
  const logLines: string[] = []
  const metrics = createMetrics()
  const t: Omit<TestBroker, 'broker' | 'url'> = { metrics, logLines, received: [], verifyCalls: [], events: [], onMessage: undefined }
  const broker = await startBroker(
    {
      port: 0,
      host: '127.0.0.1',
      logger: createLogger('debug', { write: (line: string) => void logLines.push(line) }),
      metrics,
      authThrottle: { maxFailures: 100, windowMs: 60_000, blockMs: 60_000 },
      ...overrides,
    },
    {
      async verifyDevice(deviceId, secret) {
        t.verifyCalls.push(deviceId)
        const device = devices.get(deviceId)
        return device !== undefined && SECRETS[deviceId] === secret ? device : null
      },
      onMessage(device, channel, payload, qos) {
        t.received.push({ device, channel, payload: payload.toString(), qos })
        return t.onMessage?.(device, channel, payload, qos)
      },
      onConnect: (device) => void t.events.push('connect:' + device.deviceId),
      onDisconnect: (device) => void t.events.push('disconnect:' + device.deviceId),
    },
  )
  const scheme = overrides.tls === undefined ? 'mqtt' : 'mqtts'
  return Object.assign(t, { broker, url: `${scheme}://127.0.0.1:${broker.port}` })
}

/** A device client as the contract wants it: clientId = username = deviceId. */
export function deviceOptions(device: DeviceIdentity, extra: IClientOptions = {}): IClientOptions {
  return {
    clientId: device.deviceId,
    username: device.deviceId,
    password: SECRETS[device.deviceId],
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...extra,
  }
}

/** Connects and resolves on CONNACK success; rejects with the client error otherwise. */
export async function connectDevice(url: string, opts: IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
    client.once('close', () => reject(new Error('closed before CONNACK')))
  })
  return client
}

/**
 * Connects expecting a refusal and returns the CONNACK code the broker sent: `returnCode` for
 * 3.1.1, `reasonCode` for MQTT 5.
 */
export async function refusedConnackCode(url: string, opts: IClientOptions): Promise<number> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts })
  client.on('error', () => {}) // the refusal also surfaces as an error event
  try {
    return await new Promise<number>((resolve, reject) => {
      client.on('packetreceive', (packet: Packet) => {
        if (packet.cmd === 'connack') resolve(opts.protocolVersion === 5 ? (packet.reasonCode ?? -1) : (packet.returnCode ?? -1))
      })
      client.once('close', () => reject(new Error('closed without CONNACK')))
    })
  } finally {
    client.end(true)
  }
}

export function endClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()))
}

/** Waits until `condition` holds, polling on the event loop; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

export async function refusedCount(metrics: Metrics, reason: string): Promise<number> {
  const data = await metrics.authRefused.get()
  return data.values.find((v) => v.labels.reason === reason)?.value ?? 0
}

export async function deniedCount(metrics: Metrics, action: 'publish' | 'subscribe'): Promise<number> {
  const data = await metrics.aclDenied.get()
  return data.values.find((v) => v.labels.action === action)?.value ?? 0
}
