import type { DeviceDay, DeviceMessage, DeviceSim } from '../devices/messages'
import type { DeviceLink } from '../devices/device-link'

/**
 * One device's queue of what happens when, in event time: messages to send, and the link
 * going down and up. Entries are merged so a message inside a planned drop is always
 * buffered, whatever the wall-clock timing: event content stays deterministic.
 */
export type TimelineEntry = { ts: number; what: 'message'; message: DeviceMessage } | { ts: number; what: 'down' } | { ts: number; what: 'up' }

export class DeviceTimeline {
  private entries: TimelineEntry[] = []
  private next = 0
  sentReadings = 0
  sentEvents = 0

  constructor(
    readonly sim: DeviceSim,
    readonly link: DeviceLink,
  ) {}

  /** Adds a simulated day, clipped to the run's window [from, to). */
  addDay(day: DeviceDay, from: number, to: number): void {
    const added: TimelineEntry[] = []
    for (const message of day.messages) if (message.ts >= from && message.ts < to) added.push({ ts: message.ts, what: 'message', message })
    for (const o of day.outages) {
      if (o.to <= from || o.from >= to) continue
      added.push({ ts: Math.max(o.from, from), what: 'down' }, { ts: Math.min(o.to, to), what: 'up' })
    }
    // Down before a message at the same instant, up after it.
    const rank = (e: TimelineEntry) => (e.what === 'down' ? 0 : e.what === 'message' ? 1 : 2)
    added.sort((a, b) => a.ts - b.ts || rank(a) - rank(b))
    this.entries = this.entries.slice(this.next).concat(added)
    this.next = 0
  }

  /** Plays every entry due by event time `now`; returns how many messages were handed over. */
  playUntil(now: number): number {
    let played = 0
    while (this.next < this.entries.length) {
      const entry = this.entries[this.next]
      if (!entry || entry.ts > now) break
      this.next++
      if (entry.what === 'down') this.link.goDown()
      else if (entry.what === 'up') void this.link.goUp()
      else {
        this.link.send(entry.message)
        if (entry.message.channel === 'telemetry') this.sentReadings++
        else this.sentEvents++
        played++
      }
    }
    return played
  }

  get pending(): number {
    return this.entries.length - this.next
  }
}
