import { MINUTE_MS } from '../core/clock'
import type { Rng } from '../core/prng'
import type { DayPlan } from '../routine/plan'
import type { DeviceKind } from '../../../contract/device-events'
import type { CameraReadingBody, DeviceEventBody, WatchReadingBody } from '../../../contract/device-payloads'

// The message bodies are the contract's (contract/device-payloads.ts), derived from the gateway's own schemas.
export type { CameraReadingBody, DeviceEventBody, WatchReadingBody } from '../../../contract/device-payloads'
export type { DeviceEventType } from '../../../contract/device-events'

/**
 * What a simulated device sends, in the shapes of the MQTT contract (DESIGN §3), before any
 * network: a day of these is a pure function of the plan and the seed.
 */
export type DeviceMessage =
  | { ts: number; channel: 'telemetry'; body: WatchReadingBody | CameraReadingBody }
  | { ts: number; channel: 'event'; body: DeviceEventBody }

/** A span of event time in which the device's link is down: what it produces is buffered. */
export interface Outage {
  from: number
  to: number
}

/**
 * A power-saving upload: at event time `at` the device connects and sends what it recorded up
 * to `upTo` (`at` > `upTo` when the upload is late), then disconnects again.
 */
export interface Upload {
  at: number
  upTo: number
}

export interface DeviceDay {
  messages: DeviceMessage[]
  outages: Outage[]
  /** Present for a device in power saving: its link is down but for these uploads. */
  uploads?: Upload[]
}

/**
 * Sorts by time and makes times unique per channel: the gateway keeps one reading per
 * (device, event time), so two readings in the same millisecond would silently be one.
 */
export function orderMessages(messages: DeviceMessage[]): DeviceMessage[] {
  messages.sort((a, b) => a.ts - b.ts)
  const last: Record<DeviceMessage['channel'], number> = { telemetry: -Infinity, event: -Infinity }
  for (const m of messages) {
    if (m.ts <= last[m.channel]) {
      m.ts = last[m.channel] + 1
      m.body.ts = m.ts
    }
    last[m.channel] = m.ts
  }
  return messages.sort((a, b) => a.ts - b.ts)
}

/**
 * Flaky mobile links: most days none, some days one or two drops of a few minutes, and now
 * and then a long one at night. Daytime drops stay under the 30 min that device.removed reads
 * as "silent while away" — a real alert, which a baseline run must not fake. Outages are
 * planned in event time, so which readings are buffered is deterministic.
 */
export function planOutages(rng: Rng, dayStart: number, dayEnd: number, flakiness: number): Outage[] {
  const outages: Outage[] = []
  const count = rng.weighted<number>([[0, 1 - flakiness], [1, flakiness * 0.8], [2, flakiness * 0.2]])
  for (let i = 0; i < count; i++) {
    const night = rng.chance(0.15)
    const length = Math.round(rng.range(night ? 30 : 2, night ? 90 : 20) * MINUTE_MS)
    // Night: between 00:30 and 04:00 local (the day plan starts at local midnight).
    const from = night ? Math.round(dayStart + rng.range(30, 240 - length / MINUTE_MS) * MINUTE_MS) : Math.round(rng.range(dayStart, dayEnd - length))
    outages.push({ from, to: from + length })
  }
  outages.sort((a, b) => a.from - b.from)
  // Overlapping drops are one long drop.
  return outages.reduce<Outage[]>((merged, o) => {
    const prev = merged[merged.length - 1]
    if (prev && o.from <= prev.to) prev.to = Math.max(prev.to, o.to)
    else merged.push({ ...o })
    return merged
  }, [])
}

/** Turns an elder's day plan into what one device sends that day (readings, events, link drops). */
export interface DeviceSim {
  readonly kind: DeviceKind
  simulateDay(plan: DayPlan): DeviceDay
}
