import { DAY_MS, HOUR_MS, localDate, MINUTE_MS } from '../core/clock'
import { Rng } from '../core/prng'
import type { Place, Town, TownElder } from '../town/town'
import { PlanBuilder, planProblems, travelMs, type ActivityKind, type DayPlan, type Visitor } from './plan'

/**
 * An elder's ordinary days: asleep at home, the morning market, the park, the clinic on some
 * days, the bank now and then, a visit to a daughter across town, visitors at home. Habits are
 * data (HabitTemplate) so a profile can be changed without code; a scenario replaces or edits
 * whole days with `override` (a lecture-hall week, a tour away overnight).
 */
export interface HabitTemplate {
  kind: ActivityKind
  /** The place for this elder, or undefined when the elder has none (no daughter in town). */
  place: (elder: TownElder, town: Town) => Place | undefined
  /** Chance on a given weekday (0 = Sunday). */
  chance: (elder: TownElder, weekday: number) => number
  /** Local hours within which the activity starts. */
  startHours: readonly [number, number]
  minutes: readonly [number, number]
}

const weekend = (weekday: number) => weekday === 0 || weekday === 6

export const DEFAULT_HABITS: readonly HabitTemplate[] = [
  { kind: 'shopping', place: (e, t) => t.place(e.habits.market), chance: (e) => e.profile.marketDays, startHours: [6.5, 8.5], minutes: [30, 75] },
  { kind: 'clinic', place: (e, t) => t.place(e.habits.hospital), chance: (e, d) => (weekend(d) ? 0 : e.profile.clinicDays), startHours: [8.5, 10], minutes: [60, 150] },
  { kind: 'exercise', place: (e, t) => t.place(e.habits.park), chance: (e) => e.profile.parkDays, startHours: [15, 17], minutes: [40, 110] },
  { kind: 'banking', place: (e, t) => t.place(e.habits.bank), chance: (e, d) => (weekend(d) ? 0 : e.profile.bankDays), startHours: [10, 11.5], minutes: [10, 30] },
  {
    kind: 'visit', place: (e, t) => (e.habits.childHome ? t.place(e.habits.childHome) : undefined),
    chance: (e, d) => (weekend(d) ? e.profile.visitDays * 3 : e.profile.visitDays), startHours: [10, 11.5], minutes: [180, 330],
  },
]

/** Replaces (or edits) an elder's plan for a day. Must return a well-formed plan. */
export type PlanOverride = (ctx: OverrideContext) => DayPlan

export interface OverrideContext {
  /** The plan the routine would have produced. */
  base: DayPlan
  elder: TownElder
  town: Town
  /** A stream of its own, so an override never shifts the elder's other days. */
  rng: Rng
  /** A builder for the same day, starting where the elder woke up. */
  builder: () => PlanBuilder
}

export interface RoutineOptions {
  habits?: readonly HabitTemplate[]
  /** Chance per day of a known visitor at home (family, a neighbour, the grid worker). */
  visitorChance?: number
  /** Chance per day of a stranger at the door (a door-to-door seller): rare, home.strangers needs 3 days in 7. */
  strangerChance?: number
}

export class ElderRoutine {
  private readonly overrides = new Map<string, PlanOverride>()
  private readonly habits: readonly HabitTemplate[]

  constructor(
    readonly town: Town,
    readonly elder: TownElder,
    readonly seed: number,
    private readonly opts: RoutineOptions = {},
  ) {
    this.habits = opts.habits ?? DEFAULT_HABITS
  }

  /** Plan `fn` for the local dates given (YYYY-MM-DD); a later override of a date wins. */
  override(dates: string | readonly string[], fn: PlanOverride): this {
    for (const date of typeof dates === 'string' ? [dates] : dates) this.overrides.set(date, fn)
    return this
  }

  /**
   * The plan for the local day starting at `dayStart` (local midnight). `wakePlace` is where
   * the previous day ended (home, unless a scenario kept the elder away overnight).
   */
  planDay(dayStart: number, wakePlace?: Place): DayPlan {
    const date = localDate(dayStart, this.town.file.utcOffsetMin)
    const base = this.basePlan(dayStart, date, wakePlace)
    const override = this.overrides.get(date)
    if (!override) return base
    const home = this.town.home(this.elder.key)
    const plan = override({
      base, elder: this.elder, town: this.town,
      rng: Rng.for(this.seed, 'override', this.elder.key, date),
      builder: () => new PlanBuilder({ elderKey: this.elder.key, date, start: dayStart, end: dayStart + DAY_MS }, home, wakePlace ?? home, wakePlace && wakePlace.key !== home.key ? 'visit' : 'sleep'),
    })
    const problems = planProblems(plan)
    if (problems.length > 0) throw new Error(`override of ${this.elder.key} on ${date} made a bad plan: ${problems.join('; ')}`)
    return plan
  }

  /** Whether the elder put the watch on the charger the evening of `date`. */
  private chargesOn(date: string): boolean {
    return !Rng.for(this.seed, 'charge', this.elder.key, date).chance(this.elder.profile.forgetsCharging)
  }

  private basePlan(dayStart: number, date: string, wakePlace?: Place): DayPlan {
    const rng = Rng.for(this.seed, 'plan', this.elder.key, date)
    const home = this.town.home(this.elder.key)
    const profile = this.elder.profile
    const at = (hour: number) => dayStart + Math.round(hour * HOUR_MS)
    const wake = at(profile.wakeHour + rng.normal(0, 0.25))
    const bed = at(profile.bedHour + rng.normal(0, 0.25))
    const weekday = new Date(dayStart + this.town.file.utcOffsetMin * MINUTE_MS + HOUR_MS).getUTCDay()
    const yesterday = localDate(dayStart - HOUR_MS, this.town.file.utcOffsetMin)
    const nightWatch = this.chargesOn(yesterday) ? 'charging' : 'off_wrist'
    const awayAtDawn = wakePlace !== undefined && wakePlace.key !== home.key

    const b = new PlanBuilder({ elderKey: this.elder.key, date, start: dayStart, end: dayStart + DAY_MS }, home, wakePlace ?? home, awayAtDawn ? 'visit' : 'sleep')
    b.stayUntil(wake, awayAtDawn ? 'visit' : 'sleep', awayAtDawn ? 'worn' : nightWatch)
    if (awayAtDawn) b.goHome()

    const outings = this.habits
      .map((h) => ({ h, roll: rng.float(), start: at(rng.range(h.startHours[0], h.startHours[1])), minutes: rng.range(h.minutes[0], h.minutes[1]) }))
      .filter(({ h, roll }) => roll < h.chance(this.elder, weekday))
      .map((o) => ({ ...o, place: o.h.place(this.elder, this.town) }))
      .filter((o): o is typeof o & { place: Place } => o.place !== undefined)
      .sort((x, y) => x.start - y.start)

    for (const [i, o] of outings.entries()) {
      const leaveBy = o.start - travelMs(b.place, o.place)
      // No outing that would run into bedtime; a late one is dropped, not squeezed.
      if (Math.max(leaveBy, b.time) + travelMs(b.place, o.place) + o.minutes * MINUTE_MS + travelMs(o.place, home) > bed) continue
      b.go(o.place, { kind: o.h.kind, minutes: o.minutes, at: Math.max(o.start, b.time + travelMs(b.place, o.place)) })
      const next = outings[i + 1]
      // Home in between unless the next outing starts soon: elders chain market and bank.
      if (!next || next.start - b.time > travelMs(b.place, home) + travelMs(home, next.place) + 30 * MINUTE_MS) b.goHome()
    }
    b.goHome()
    const plan = b.finish('sleep', bed, this.chargesOn(date) ? 'charging' : 'off_wrist')
    plan.visitors = this.visitors(rng, plan)
    return plan
  }

  /** Visitors come while the elder is at home and awake, between 09:00 and 19:00. */
  private visitors(rng: Rng, plan: DayPlan): Visitor[] {
    const visitors: Visitor[] = []
    const windows = plan.activities.filter((a) => a.kind === 'home' && a.end - a.start >= 90 * MINUTE_MS)
    const place = (persons: number, strangers: number, note: string, minutes: readonly [number, number]) => {
      const w = windows.length > 0 ? rng.pick(windows) : undefined
      if (!w) return
      const length = rng.range(minutes[0], minutes[1]) * MINUTE_MS
      const from = w.start + 10 * MINUTE_MS
      const latest = w.end - length - 10 * MINUTE_MS
      if (latest <= from) return
      const arriveAt = Math.round(rng.range(from, latest))
      visitors.push({ arriveAt, leaveAt: arriveAt + Math.round(length), persons, strangers, note })
    }
    if (rng.chance(this.opts.visitorChance ?? 0.25)) place(rng.int(1, 2), 0, 'family or neighbour', [20, 90])
    if (rng.chance(this.opts.strangerChance ?? 0.03)) place(1, 1, 'door-to-door seller', [10, 40])
    return visitors.sort((x, y) => x.arriveAt - y.arriveAt)
  }
}
