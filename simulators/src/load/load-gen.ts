import * as hdr from 'hdr-histogram-js'
import type { MqttClient } from 'mqtt'
import { topicOf } from '../../../contract/topics'
import type { FleetDevice } from './connections'

/**
 * Publishes watch readings from connected devices at an offered rate (or flat out) and
 * measures each QoS 1 message end to end: publish → PUBACK, which the gateway sends only once
 * the reading is validated and in the writer's buffer (README "Acceptance"). Latencies go into
 * an HDR histogram in microseconds; percentiles are reported, never averages alone.
 */
export interface LoadOptions {
  /** Messages per second over the whole fleet; 0 = as fast as the gateway acknowledges. */
  rate: number
  seconds: number
  qos: 0 | 1
  /** Flat-out mode: messages each device keeps in flight. */
  window?: number
  /** Rate mode: a device with this many unacknowledged messages is skipped (the gateway is behind). */
  maxInflightPerDevice?: number
  onTick?: (s: LoadStats) => void
}

export interface LoadStats {
  sent: number
  acked: number
  failed: number
  /** Offered messages not sent because every device was still waiting for PUBACKs. */
  behind: number
  elapsedMs: number
  latencyUs: hdr.Histogram
}

interface Sender {
  device: FleetDevice
  client: MqttClient
  topic: string
  lastTs: number
  inflight: number
  steps: number
}

export async function runLoad(fleet: ReadonlyArray<{ device: FleetDevice; client: MqttClient }>, opts: LoadOptions): Promise<LoadStats> {
  const latencyUs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 })
  const stats: LoadStats = { sent: 0, acked: 0, failed: 0, behind: 0, elapsedMs: 0, latencyUs }
  const senders: Sender[] = fleet.map(({ device, client }) => ({ device, client, topic: topicOf(device.id, 'telemetry'), lastTs: 0, inflight: 0, steps: 0 }))
  if (senders.length === 0) return stats
  const started = performance.now()
  const deadline = started + opts.seconds * 1000
  let stopped = false
  let lastAckMs = 0

  const publish = (s: Sender, onDone?: () => void): void => {
    // Readings are unique per (device, ts): keep each device's times strictly increasing.
    s.lastTs = Math.max(s.lastTs + 1, Date.now())
    s.steps += 3
    const body = JSON.stringify({ ts: s.lastTs, lat: 30.75 + (s.steps % 100) * 1e-5, lon: 120.75, acc: 15, src: 'gps', hr: 72, steps: s.steps, bat: 80, worn: true })
    const t0 = process.hrtime.bigint()
    s.inflight++
    stats.sent++
    s.client.publish(s.topic, body, { qos: opts.qos }, (err) => {
      s.inflight--
      if (err) stats.failed++
      else {
        stats.acked++
        lastAckMs = performance.now() - started
        if (opts.qos === 1) latencyUs.recordValue(Math.max(1, Number((process.hrtime.bigint() - t0) / 1000n)))
      }
      onDone?.()
    })
  }

  const ticker = setInterval(() => {
    stats.elapsedMs = performance.now() - started
    opts.onTick?.(stats)
  }, 1000)

  if (opts.rate === 0) {
    // Flat out: each device sends again as soon as one of its messages is acknowledged.
    await new Promise<void>((resolve) => {
      let open = senders.length
      const pump = (s: Sender) => {
        if (performance.now() >= deadline) {
          if (s.inflight === 0 && --open === 0) resolve()
          return
        }
        publish(s, () => pump(s))
      }
      for (const s of senders) for (let i = 0; i < (opts.window ?? 1); i++) pump(s)
    })
  } else {
    let cursor = 0
    const maxInflight = opts.maxInflightPerDevice ?? 100
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const now = performance.now()
        const due = Math.floor(((Math.min(now, deadline) - started) / 1000) * opts.rate) - stats.sent - stats.behind
        for (let i = 0; i < due; i++) {
          let s: Sender | undefined
          // Round robin over devices; skip ones still waiting on many PUBACKs.
          for (let tries = 0; tries < senders.length; tries++) {
            const candidate = senders[cursor++ % senders.length] as Sender
            if (candidate.inflight < maxInflight) {
              s = candidate
              break
            }
          }
          if (s) publish(s)
          else stats.behind++
        }
        if (now >= deadline && !stopped) {
          stopped = true
          clearInterval(tick)
          resolve()
        }
      }, 5)
    })
  }
  stats.elapsedMs = performance.now() - started
  // Late PUBACKs still count (their latency is real); then stop waiting.
  const drainUntil = performance.now() + 10_000
  while (senders.some((s) => s.inflight > 0) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20))
  clearInterval(ticker)
  // Throughput is over the time it took to get the acknowledgements, not just to send.
  stats.elapsedMs = Math.max(stats.elapsedMs, lastAckMs)
  return stats
}

export function latencyLine(h: hdr.Histogram): string {
  const ms = (us: number) => (us / 1000).toFixed(us < 10_000 ? 2 : 1)
  return ['p50', 50, 'p90', 90, 'p99', 99, 'p99.9', 99.9]
    .reduce<string[]>((parts, v, i, all) => (i % 2 === 0 ? [...parts, `${String(v)} ${ms(h.getValueAtPercentile(all[i + 1] as number))}`] : parts), [])
    .concat(`max ${ms(h.maxValue)}`)
    .join('  ')
}
