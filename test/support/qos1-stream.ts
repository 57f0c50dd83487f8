import mqtt, { type MqttClient } from 'mqtt'
import type { SeededDevice } from './api-client'

/**
 * A fleet of real MQTT clients streaming QoS 1 readings (and now and then a fall event) with a
 * window of publishes in flight each, recording exactly which ones the broker acknowledged.
 * It is the device's view of "acknowledged": a PUBACK arrived. Tests kill the gateway in the
 * middle and then compare that set with what storage holds — the only right difference is zero.
 */
export interface Acked {
  /** `${deviceId}@${ts}` of every reading whose PUBACK arrived. */
  readings: Set<string>
  /** `${deviceId}@${ts}` of every event whose PUBACK arrived. */
  events: Set<string>
  /** Publishes sent and not acknowledged when the connection went away. */
  unacked: number
}

export const key = (deviceId: string, ts: number) => `${deviceId}@${ts}`

export interface StreamOptions {
  url: string
  devices: SeededDevice[]
  /** Publishes in flight per device. */
  window: number
  /** Event time of the first reading; each device's readings are 1 s apart, unique per run. */
  startTs: number
  /** Every n-th publish of a device is a fall event instead of a reading batch. */
  eventEvery?: number
  /** Readings per publish (1 = a single object, more = a buffered-upload array). */
  batch?: number
}

export interface Stream {
  acked: Acked
  /** Resolves when every client has lost its connection (the gateway died) or stop() was called. */
  ended: Promise<void>
  /** Total acknowledged publishes so far. */
  ackedCount(): number
  stop(): Promise<void>
}

export async function startQos1Stream(opts: StreamOptions): Promise<Stream> {
  const acked: Acked = { readings: new Set(), events: new Set(), unacked: 0 }
  let ackedPublishes = 0
  let stopping = false
  const clients: MqttClient[] = []
  const loops: Array<Promise<void>> = []
  const batch = opts.batch ?? 1
  const eventEvery = opts.eventEvery ?? 0

  for (const [d, device] of opts.devices.entries()) {
    const client = mqtt.connect(opts.url, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      protocolVersion: 4,
      reconnectPeriod: 0,
      clean: true,
    })
    client.on('error', () => undefined)
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', reject)
    })
    clients.push(client)
    // mqtt.js keeps an unacknowledged QoS 1 publish for a reconnect that never comes: its promise
    // then never settles, so a publish counts only if its PUBACK beat the connection's end.
    const closed = new Promise<'closed'>((resolve) => client.once('close', () => resolve('closed')))
    let seq = 0
    const nextPublish = (): { topic: string; payload: string; record: () => void } => {
      const n = seq++
      const ts = opts.startTs + d * 10 + n * batch * 1000
      if (eventEvery > 0 && n % eventEvery === eventEvery - 1) {
        return { topic: `eg/v1/${device.id}/event`, payload: JSON.stringify({ ts, type: 'fall', seq: n }), record: () => acked.events.add(key(device.id, ts)) }
      }
      const readings = Array.from({ length: batch }, (_, i) => ({ ts: ts + i * 1000, lat: device.home.lat, lon: device.home.lon, acc: 10, src: 'gps', hr: 60 + (n % 40), bat: 80 }))
      return {
        topic: `eg/v1/${device.id}/telemetry`,
        payload: JSON.stringify(batch === 1 ? readings[0] : readings),
        record: () => {
          for (const r of readings) acked.readings.add(key(device.id, r.ts))
        },
      }
    }
    const worker = async () => {
      while (!stopping && client.connected) {
        const p = nextPublish()
        const outcome = await Promise.race([client.publishAsync(p.topic, p.payload, { qos: 1 }).then(() => 'acked' as const, () => 'failed' as const), closed])
        if (outcome !== 'acked') {
          acked.unacked++
          return
        }
        p.record()
        ackedPublishes++
      }
    }
    loops.push(...Array.from({ length: opts.window }, worker))
  }
  const ended = Promise.all(loops).then(() => undefined)
  return {
    acked,
    ended,
    ackedCount: () => ackedPublishes,
    async stop() {
      stopping = true
      await ended
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
    },
  }
}
