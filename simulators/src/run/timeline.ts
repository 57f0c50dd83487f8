import { MINUTE_MS } from '../core/clock'
import type { DeviceDay, DeviceMessage, DeviceSim } from '../devices/messages'
import type { DeviceLink } from '../devices/device-link'

/**
 * One device's queue of what happens when, in event time: messages to send, the link going
 * down and up, and power-saving uploads. Entries are merged so a message inside a planned drop
 * is always buffered, whatever the wall-clock timing: event content stays deterministic.
 */
export type TimelineEntry =
  | { ts: number; what: 'message'; message: DeviceMessage }
  | { ts: number; what: 'down' }
  | { ts: number; what: 'up' }
  | { ts: number; what: 'wake' }
  | { ts: number; what: 'upload'; upTo: number }

/** Down before a message at the same instant; an upload or up after it (it was recorded first). */
const RANK: Record<TimelineEntry['what'], number> = { down: 0, wake: 1, message: 2, upload: 3, up: 4 }

/**
 * A power-saving watch opens its connection this long before each upload. On a real watch
 * connecting takes seconds; here it takes wall milliseconds, which at ×2000 are event minutes
 * the run's clock would spend waiting at the upload (TownSim.now()).
 */
const WAKE_LEAD_MS = 3 * MINUTE_MS
const byTime = (a: TimelineEntry, b: TimelineEntry) => a.ts - b.ts || RANK[a.what] - RANK[b.what]

export class DeviceTimeline {
  private entries: TimelineEntry[] = []
  private next = 0
  /** A power-saving device's link is put to sleep once, at the start of its first day. */
  private asleep = false
  /** Event times of the upload entries not yet played, in order. */
  private uploadsDue: number[] = []
  private lastUploadAt = -Infinity
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
    if (day.uploads) {
      if (!this.asleep) added.push({ ts: from, what: 'down' })
      this.asleep = true
      // Uploads due after the run are left to the end of the run, which uploads everything kept.
      for (const u of day.uploads) {
        if (u.upTo < from || u.at >= to) continue
        added.push({ ts: Math.max(from, u.at - WAKE_LEAD_MS), what: 'wake' }, { ts: u.at, what: 'upload', upTo: u.upTo })
      }
    }
    // A merge, not an append: a late upload or a drop that spans midnight belongs among the
    // next day's entries (stable sort: what was queued first stays first at equal times).
    this.entries = this.entries.slice(this.next).concat(added).sort(byTime)
    this.next = 0
    this.uploadsDue = this.entries.filter((e) => e.what === 'upload').map((e) => e.ts)
  }

  /**
   * How far the run's clock may go for this device: up to its next upload, and no further
   * while an upload waits for its connection (DeviceLink.uploading). Infinity for a device
   * that sends live.
   */
  get holdAt(): number {
    if (this.link.uploading) return this.lastUploadAt
    return this.uploadsDue[0] ?? Infinity
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
      else if (entry.what === 'wake') this.link.wake()
      else if (entry.what === 'upload') {
        this.uploadsDue.shift()
        this.lastUploadAt = entry.ts
        this.link.upload(entry.upTo)
      }
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
