import { MINUTE_MS, SECOND_MS } from '../core/clock'
import { Rng } from '../core/prng'
import type { DayPlan } from '../routine/plan'
import type { TownElder } from '../town/town'
import { orderMessages, planOutages, type DeviceDay, type DeviceMessage, type DeviceSim } from './messages'

/**
 * The home camera with its door sensor: sees the elder at home (presence), visitors (persons)
 * and the ones it does not recognise (strangers); reports every few minutes and at once when
 * someone comes or goes; door_open / door_close events as the elder or a visitor passes.
 */
export interface CameraOptions {
  flakiness?: number
  /** Reporting period when nothing changes. */
  periodMs?: number
}

interface Moment {
  at: number
  door: boolean
}

export class CameraSim implements DeviceSim {
  readonly kind = 'camera' as const

  constructor(
    readonly elder: TownElder,
    readonly seed: number,
    private readonly opts: CameraOptions = {},
  ) {}

  simulateDay(plan: DayPlan): DeviceDay {
    const rng = Rng.for(this.seed, 'camera', this.elder.key, plan.date)
    const period = this.opts.periodMs ?? 10 * MINUTE_MS
    const messages: DeviceMessage[] = []

    // Moments of change: the elder leaving or coming home, visitors arriving or leaving.
    const moments: Moment[] = []
    for (const a of plan.activities) {
      if (a.kind !== 'travel' || !a.to) continue
      if (a.place.kind === 'home') moments.push({ at: a.start, door: true })
      if (a.to.kind === 'home') moments.push({ at: a.end, door: true })
    }
    for (const v of plan.visitors) moments.push({ at: v.arriveAt, door: true }, { at: v.leaveAt, door: true })
    for (const m of moments) {
      const closeAfter = Math.round(rng.range(15, 60)) * SECOND_MS
      messages.push({ ts: m.at, channel: 'event', body: { ts: m.at, type: 'door_open' } })
      messages.push({ ts: m.at + closeAfter, channel: 'event', body: { ts: m.at + closeAfter, type: 'door_close' } })
    }

    const sampleTimes: number[] = []
    // Each camera keeps its own phase, day after day: a town whose devices all report on the
    // same minute gives an event-time gateway (EG_CLOCK=event) a clock that moves in jumps.
    const phase = Rng.for(this.seed, 'camera-phase', this.elder.key).int(0, Math.max(0, Math.round(period / SECOND_MS) - 1)) * SECOND_MS
    for (let t = plan.start + phase; t < plan.end; t += period) sampleTimes.push(t)
    // A report just after each change, so a short visit is never missed between periods.
    for (const m of moments) if (m.at + 90 * SECOND_MS < plan.end) sampleTimes.push(m.at + 90 * SECOND_MS)
    sampleTimes.sort((a, b) => a - b)

    let i = 0
    for (const t of sampleTimes) {
      while (i < plan.activities.length - 1 && (plan.activities[i]?.end ?? Infinity) <= t) i++
      const activity = plan.activities[i]
      const home = activity !== undefined && activity.kind !== 'travel' && activity.place.kind === 'home'
      // Asleep in the bedroom the living-room camera mostly sees nobody.
      const seen = home && rng.chance(activity.kind === 'sleep' ? 0.1 : 0.9)
      const here = plan.visitors.filter((v) => v.arriveAt <= t && t < v.leaveAt)
      const persons = (seen ? 1 : 0) + here.reduce((n, v) => n + v.persons, 0)
      const strangers = here.reduce((n, v) => n + v.strangers, 0)
      messages.push({ ts: t, channel: 'telemetry', body: { ts: t, presence: seen, persons, strangers, motion: persons > 0 && rng.chance(0.85) } })
    }
    return { messages: orderMessages(messages), outages: planOutages(Rng.for(this.seed, 'camera-link', this.elder.key, plan.date), plan.start, plan.end, this.opts.flakiness ?? 0.1) }
  }
}
