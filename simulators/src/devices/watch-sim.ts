import { HOUR_MS, MINUTE_MS, SECOND_MS } from '../core/clock'
import { interpolate, offsetMetres, round6, type LatLon } from '../core/geo'
import { Rng } from '../core/prng'
import type { LocationSource } from '../../../contract/device-events'
import type { Activity, DayPlan, WatchState } from '../routine/plan'
import type { TownElder } from '../town/town'
import { orderMessages, planOutages, type DeviceDay, type DeviceMessage, type DeviceSim, type WatchReadingBody } from './messages'
import { UploadPlanner, withDeadLinks, type WatchHabit } from './upload-plan'

/**
 * A cheap smartwatch on an elder's wrist: a fix every few minutes (more often on the move),
 * heart rate and steps while worn, a battery that drains by day and charges overnight — unless
 * the elder forgets — and the removed / worn / low_battery / power_off events that go with it.
 * In power saving (`habit`) it records a fix on a timer and its link sleeps between uploads.
 * State (battery, power, the upload schedule) carries from day to day, so days must be
 * simulated in order.
 */
export interface WatchOptions {
  /** Chance per day of a link outage (0–1); a power-saving watch has none (its link sleeps anyway). */
  flakiness?: number
  startBattery?: number
  habit?: WatchHabit
}

/** Sampling period by activity: a sleeping elder needs no minute-by-minute track. */
function periodMs(a: Activity, habit: WatchHabit): number {
  if (habit.fixEveryMs !== undefined) return habit.fixEveryMs
  if (a.kind === 'sleep') return 10 * MINUTE_MS
  if (a.kind === 'travel') return 1 * MINUTE_MS
  if (a.place.kind === 'home') return 5 * MINUTE_MS
  return 2 * MINUTE_MS
}

/** Steps per minute and heart-rate lift by activity. */
const EFFORT: Partial<Record<Activity['kind'], { steps: number; hr: number }>> = {
  sleep: { steps: 0, hr: -8 },
  home: { steps: 4, hr: 0 },
  travel: { steps: 85, hr: 22 },
  exercise: { steps: 60, hr: 28 },
  shopping: { steps: 30, hr: 10 },
  clinic: { steps: 8, hr: 4 },
}

/** Battery per hour by watch state (cheap watches: about 16 h of GPS tracking a charge). */
const BATTERY_PER_HOUR: Record<WatchState, number> = { worn: -3.5, off_wrist: -1.5, charging: 30 }
/** GPS and radio dominate the drain: a fix every 10 min and a sleeping link last 2–3 days. */
const POWER_SAVING_DRAIN = 0.4
/** What makes a watch connect at once, whatever its upload schedule. */
const ALARMS: ReadonlySet<string> = new Set(['sos', 'fall'])

export class WatchSim implements DeviceSim {
  readonly kind = 'watch' as const
  private battery: number
  private powered = true
  private lowReported = false
  private watchState: WatchState = 'charging'
  private lastTs: number | undefined
  private readonly habit: WatchHabit
  private readonly uploads: UploadPlanner | undefined
  /** Offset of the day's first sample: watches are not all switched on at the same minute. */
  private readonly phaseMs: number

  constructor(
    readonly elder: TownElder,
    readonly seed: number,
    private readonly opts: WatchOptions = {},
  ) {
    this.battery = opts.startBattery ?? 100
    this.habit = opts.habit ?? {}
    this.phaseMs = Rng.for(seed, 'watch-phase', elder.key).int(0, 599) * SECOND_MS
    const every = this.habit.uploadEveryMs
    this.uploads = every === undefined ? undefined : new UploadPlanner(every, Rng.for(seed, 'watch-uploads', elder.key), this.habit.lateMs, this.habit.deadLinks)
  }

  simulateDay(plan: DayPlan): DeviceDay {
    const rng = Rng.for(this.seed, 'watch', this.elder.key, plan.date)
    const messages: DeviceMessage[] = []
    let steps = 0
    let spot: { activity: Activity; at: LatLon } | undefined
    let t = plan.start + this.phaseMs
    const planted = [...plan.events].sort((a, b) => a.at - b.at)
    const emitPlanted = (until: number) => {
      while (planted.length > 0 && (planted[0]?.at ?? Infinity) <= until) {
        const e = planted.shift()
        if (!e) break
        // A scammer's first advice is often "switch the watch off": no readings after it.
        if (e.type === 'power_off') this.powered = false
        messages.push({ ts: e.at, channel: 'event', body: { ...e.detail, ts: e.at, type: e.type } })
      }
    }
    for (const activity of plan.activities) {
      const effort = EFFORT[activity.kind] ?? { steps: 15, hr: 8 }
      // A power-saving watch samples on a timer (no jitter); the ordinary one by activity.
      const step = () => periodMs(activity, this.habit) + (this.habit.fixEveryMs === undefined ? Math.round(rng.range(-10, 10)) * SECOND_MS : 0)
      for (; t < activity.end; t += step()) {
        emitPlanted(t)
        const state = this.stateAt(activity)
        if (state !== this.watchState) {
          // Taking the watch off (to charge or not) and putting it on are events of their own.
          const type = state === 'worn' ? 'worn' : this.watchState === 'worn' ? 'removed' : undefined
          if (type && this.powered) messages.push({ ts: t, channel: 'event', body: { ts: t, type } })
          this.watchState = state
        }
        this.drain(state, activity, t, messages)
        if (!this.powered) continue
        if (!spot || spot.activity !== activity) spot = { activity, at: this.spotIn(rng, activity) }
        const worn = state === 'worn'
        if (worn) steps += Math.max(0, Math.round((effort.steps * periodMs(activity, this.habit)) / MINUTE_MS + rng.normal(0, 3)))
        const truth = activity.kind === 'travel' && activity.to ? interpolate(activity.place, activity.to, (t - activity.start) / (activity.end - activity.start)) : spot.at
        const reading: WatchReadingBody = { ts: t, ...this.fix(rng, truth, activity), steps, bat: Math.round(this.battery), worn }
        if (worn) reading.hr = Math.round(this.elder.profile.restingHr + effort.hr + rng.normal(0, 3))
        messages.push({ ts: t, channel: 'telemetry', body: reading })
      }
    }
    emitPlanted(plan.end)
    return this.deliver(plan, orderMessages(messages))
  }

  /** How the day's messages leave the watch: live over a flaky link, or in power-saving uploads. */
  private deliver(plan: DayPlan, messages: DeviceMessage[]): DeviceDay {
    const dead = this.habit.deadLinks ?? []
    if (this.uploads) {
      const alarms = messages.filter((m) => m.channel === 'event' && ALARMS.has(m.body.type)).map((m) => m.ts)
      return { messages, outages: [], uploads: this.uploads.planDay(plan.start, plan.end, alarms) }
    }
    const flaky = planOutages(Rng.for(this.seed, 'watch-link', this.elder.key, plan.date), plan.start, plan.end, this.opts.flakiness ?? 0.3)
    return { messages, outages: dead.length > 0 ? withDeadLinks(flaky, dead, plan.start, plan.end) : flaky }
  }

  /**
   * The plan says what the elder intends; a low battery changes it: at home and awake, an
   * elder whose watch runs low puts it on the charger for a while (else a forgotten night
   * would kill the watch mid-morning every time, and every dead watch away from home is an
   * alert).
   */
  private stateAt(activity: Activity): WatchState {
    const planned = activity.watch ?? 'worn'
    const topUp = planned === 'worn' && activity.kind === 'home' && this.powered
    if (topUp && (this.battery <= 25 || (this.watchState === 'charging' && this.battery < 80))) return 'charging'
    return planned
  }

  /** Battery drain or charge since the previous sample, with the events of running low and dying. */
  private drain(state: WatchState, activity: Activity, t: number, messages: DeviceMessage[]): void {
    const hours = this.lastTs === undefined ? 0 : (t - this.lastTs) / HOUR_MS
    this.lastTs = t
    const saving = state !== 'charging' && this.habit.fixEveryMs !== undefined ? POWER_SAVING_DRAIN : 1
    const rate = BATTERY_PER_HOUR[state] * (state === 'worn' && activity.kind === 'travel' ? 1.3 : 1) * saving
    this.battery = Math.max(0, Math.min(100, this.battery + rate * hours))
    if (state === 'charging') {
      this.lowReported = this.lowReported && this.battery < 20
      if (!this.powered && this.battery >= 5) this.powered = true
      return
    }
    if (!this.powered) return
    if (this.battery <= 15 && !this.lowReported) {
      this.lowReported = true
      messages.push({ ts: t, channel: 'event', body: { ts: t, type: 'low_battery', bat: Math.round(this.battery) } })
    }
    if (this.battery <= 0) {
      this.powered = false
      messages.push({ ts: t, channel: 'event', body: { ts: t, type: 'power_off' } })
    }
  }

  /** Where in a place the elder sits: the same corner for the whole stay, inside the geofence. */
  private spotIn(rng: Rng, activity: Activity): LatLon {
    const r = activity.place.radiusM * 0.4 * Math.sqrt(rng.float())
    const angle = rng.range(0, 2 * Math.PI)
    return offsetMetres(activity.place, r * Math.cos(angle), r * Math.sin(angle))
  }

  /**
   * A position fix with the errors of a cheap watch: GPS ±10–30 m outdoors, wifi indoors,
   * and now and then a cell-tower (lbs) fix hundreds of metres off with acc 800–2000 m.
   */
  private fix(rng: Rng, truth: LatLon, activity: Activity): Pick<WatchReadingBody, 'lat' | 'lon' | 'acc' | 'src'> {
    const indoor = activity.kind !== 'travel' && activity.place.indoor
    const src = rng.weighted<LocationSource>(indoor ? [['gps', 0.5], ['wifi', 0.42], ['lbs', 0.08]] : [['gps', 0.92], ['wifi', 0.04], ['lbs', 0.04]])
    let acc: number
    let error: LatLon
    if (src === 'lbs') {
      acc = Math.round(rng.range(800, 2000))
      const off = rng.range(100, acc * 0.7)
      const angle = rng.range(0, 2 * Math.PI)
      error = offsetMetres(truth, off * Math.cos(angle), off * Math.sin(angle))
    } else {
      acc = Math.round(src === 'gps' ? rng.range(10, 30) : rng.range(25, 60))
      error = offsetMetres(truth, rng.normal(0, acc / 2.5), rng.normal(0, acc / 2.5))
    }
    return { lat: round6(error.lat), lon: round6(error.lon), acc, src }
  }
}
