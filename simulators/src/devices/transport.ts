import mqtt, { type MqttClient } from 'mqtt'
import { devicePrefix, topicOf } from '../../../contract/topics'

/**
 * The network side of one device, narrowed to what a device does: publish, receive commands,
 * notice a lost link, drop abruptly (so the broker publishes the `offline` will) or leave
 * cleanly. Shaped after MQTT (topics, QoS 1 = resolved once durable); the other protocols
 * (watch-protocol-transport.ts, http-ingest-transport.ts) translate to it, so DeviceLink's
 * buffering and power saving are the same over all three, and testable without a broker.
 */
export interface LinkTransport {
  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }): Promise<void>
  /** A link lost without drop() or end(): the device will reconnect. */
  onLost(handler: (reason: string) => void): void
  /** Pulls the plug: no DISCONNECT, so the broker sends the will. */
  drop(): void
  /** Clean leave (DISCONNECT): no will. */
  end(): Promise<void>
}

/** MQTT and HTTP ingest (DESIGN §3, §3c): the id and the secret the API issued. */
export interface SecretCredentials {
  id: string
  secret: string
}

/** The 4G watch protocol (DESIGN §3b): no secret; the watch's own number is its identity. */
export interface WatchNumberCredentials {
  id: string
  imei: string
  /** The watch's clock runs this many minutes ahead of UTC (as registered). */
  clockOffsetMinutes?: number
}

export type DeviceCredentialsForLink = SecretCredentials | WatchNumberCredentials

export const hasSecret = (device: DeviceCredentialsForLink): device is SecretCredentials => 'secret' in device

export type Connector = (device: DeviceCredentialsForLink, handlers: { onCommand: (payload: Buffer) => void }) => Promise<LinkTransport>

/** The part of a device's topic below `eg/v1/<id>/` (`cmd/ack` spans two levels): what the other protocols call a channel. */
export const leafOf = (deviceId: string, topic: string): string => topic.slice(devicePrefix(deviceId).length)

/** Connects as a device (DESIGN §3: clientId = username = id, password = secret; retained status with an offline will). */
export function mqttConnector(url: string, opts: { connectTimeoutMs?: number } = {}): Connector {
  return async (device, handlers) => {
    if (!hasSecret(device)) throw new Error(`device ${device.id} speaks the watch protocol: it has no MQTT secret`)
    const client = mqtt.connect(url, {
      clientId: device.id, username: device.id, password: device.secret,
      protocolVersion: 4, clean: true, reconnectPeriod: 0, keepalive: 60,
      connectTimeout: opts.connectTimeoutMs ?? 15_000,
      will: { topic: topicOf(device.id, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
    })
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', (err) => {
        client.end(true)
        reject(err)
      })
      client.once('close', () => reject(new Error(`connection closed before CONNACK (${device.id})`)))
    })
    client.on('error', () => undefined) // errors end in 'close', handled below
    client.on('message', (topic, payload) => {
      if (topic === topicOf(device.id, 'cmd')) handlers.onCommand(payload)
    })
    await client.subscribeAsync(topicOf(device.id, 'cmd'), { qos: 1 })
    return new MqttTransport(client)
  }
}

class MqttTransport implements LinkTransport {
  private lostHandler: ((reason: string) => void) | undefined
  private leaving = false

  constructor(private readonly client: MqttClient) {
    client.on('close', () => {
      // Fail whatever is in flight now: this client never reconnects, a new one will.
      client.end(true)
      if (!this.leaving) this.lostHandler?.('connection lost')
    })
  }

  async publish(topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    if (!this.client.connected) throw new Error('not connected')
    await this.client.publishAsync(topic, payload, { qos: opts.qos, retain: opts.retain ?? false })
  }

  onLost(handler: (reason: string) => void): void {
    this.lostHandler = handler
  }

  drop(): void {
    this.leaving = true
    this.client.stream.destroy()
  }

  async end(): Promise<void> {
    this.leaving = true
    await this.client.endAsync()
  }
}
