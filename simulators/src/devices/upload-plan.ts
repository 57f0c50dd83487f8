import { MINUTE_MS } from '../core/clock'
import type { Rng } from '../core/prng'
import type { Outage, Upload } from './messages'

/**
 * How a watch delivers what it records, in absolute event times (a scenario's `elder.watch`,
 * resolved). Omitted fields keep the ordinary watch: fixes by activity, sent live.
 */
export interface WatchHabit {
  /** Power saving: one fix every this many ms, whatever the elder does. */
  fixEveryMs?: number
  /** The link sleeps between uploads; every this many ms the watch connects and uploads its buffer. */
  uploadEveryMs?: number
  /** Each upload reaches the gateway this late ([min, max] ms), the delay drifting slowly. */
  lateMs?: readonly [number, number]
  /** No network at all: nothing gets through; what was recorded goes out when the link returns. */
  deadLinks?: readonly Outage[]
}

/**
 * The longest a late upload may trail the one before it. Lateness is about when data arrives,
 * not about silence: if the delay could jump by hours between two uploads, the gap between
 * them would be real silence (device.removed's 30 min), and a "late but steady" scenario
 * would be planting a silent watch instead.
 */
const MAX_DELIVERY_GAP_MS = 25 * MINUTE_MS

const deadAt = (dead: readonly Outage[], t: number) => dead.some((d) => d.from <= t && t < d.to)

/**
 * The upload schedule of a power-saving watch, day by day (call planDay for consecutive days,
 * in order: the schedule, the delay and the last arrival carry over midnight). Uploads are on a
 * fixed grid with a per-watch phase; an alarm (SOS, fall) makes the watch connect at once; an
 * upload that falls in a dead link fails and what it would have carried waits for the next
 * one, and the link's return is an upload of its own.
 */
export class UploadPlanner {
  private next: number | undefined
  private lagMs: number
  private targetMs: number
  private lastAt = -Infinity

  constructor(
    private readonly everyMs: number,
    private readonly rng: Rng,
    private readonly lateMs: readonly [number, number] = [0, 0],
    private readonly dead: readonly Outage[] = [],
  ) {
    this.lagMs = this.targetMs = this.drawTarget()
  }

  planDay(dayStart: number, dayEnd: number, alarms: readonly number[]): Upload[] {
    // Watches switched on at different moments do not all upload on the same minute.
    this.next ??= dayStart + this.rng.int(1, Math.max(1, Math.round(this.everyMs / MINUTE_MS))) * MINUTE_MS
    const moments: number[] = []
    for (; this.next < dayEnd; this.next += this.everyMs) if (!deadAt(this.dead, this.next)) moments.push(this.next)
    for (const a of alarms) if (a >= dayStart && a < dayEnd && !deadAt(this.dead, a)) moments.push(a)
    for (const d of this.dead) if (d.to >= dayStart && d.to < dayEnd) moments.push(d.to)
    moments.sort((a, b) => a - b)
    return moments.map((upTo) => {
      // One radio, one queue: a late upload never overtakes the one before it.
      const at = Math.max(this.lastAt, upTo + this.drift())
      this.lastAt = at
      return { at, upTo }
    })
  }

  /** The delay of the next upload: it walks towards a drawn target, a bounded step per upload. */
  private drift(): number {
    const step = Math.max(0, Math.min(this.everyMs, MAX_DELIVERY_GAP_MS - this.everyMs))
    if (Math.abs(this.targetMs - this.lagMs) <= step) {
      this.lagMs = this.targetMs
      this.targetMs = this.drawTarget()
    } else {
      this.lagMs += Math.sign(this.targetMs - this.lagMs) * step
    }
    return Math.round(this.lagMs)
  }

  private drawTarget(): number {
    return this.rng.range(this.lateMs[0], this.lateMs[1])
  }
}

/**
 * A day's link drops with the dead links in it: a dead link is one outage (kept whole, in the
 * day it starts, so one that spans midnight is one drop and one flush), and the day's random
 * drops that touch one are dropped — the link cannot come up in the middle of a dead spell.
 */
export function withDeadLinks(outages: readonly Outage[], dead: readonly Outage[], dayStart: number, dayEnd: number): Outage[] {
  const touches = (o: Outage) => dead.some((d) => o.from < d.to && d.from < o.to)
  return [...outages.filter((o) => !touches(o)), ...dead.filter((d) => d.from >= dayStart && d.from < dayEnd).map((d) => ({ ...d }))].sort((a, b) => a.from - b.from)
}
