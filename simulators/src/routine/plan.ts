import { distanceMetres } from '../core/geo'
import { MINUTE_MS } from '../core/clock'
import type { Place } from '../town/town'
import type { WatchEventType } from '../../../contract/device-events'

/**
 * A day in an elder's life as data: contiguous activities from local midnight to the next,
 * each at one place (or travelling between two), plus visitors at home and planted device
 * events. Routines produce plans; DeviceSim turns plans into readings. Scenarios edit plans.
 */
export type ActivityKind = 'sleep' | 'home' | 'travel' | 'shopping' | 'exercise' | 'clinic' | 'banking' | 'visit' | 'lecture' | 'investment' | 'tour' | 'errand'

/** What the watch is doing during an activity (DESIGN §3 `worn`, `removed`/`worn` events). */
export type WatchState = 'worn' | 'charging' | 'off_wrist'

export interface Activity {
  kind: ActivityKind
  /** Where the elder is; for travel, where the trip starts. */
  place: Place
  /** Travel only: the destination. */
  to?: Place
  /** Epoch ms, [start, end). */
  start: number
  end: number
  /** Default 'worn'. */
  watch?: WatchState
}

/** People the home camera sees besides the elder. */
export interface Visitor {
  arriveAt: number
  leaveAt: number
  persons: number
  /** Of `persons`, how many the camera does not recognise (door-to-door sellers, scammers). */
  strangers: number
  note?: string
}

/** A watch event a scenario plants (a low battery comes from the simulated battery instead). */
export type PlannedEventType = Exclude<WatchEventType, 'low_battery'>

/** A device event planted at a time (a fall, an SOS press) by a scenario. */
export interface PlannedEvent {
  at: number
  type: PlannedEventType
  detail?: Record<string, unknown>
}

export interface DayPlan {
  elderKey: string
  /** Local date, YYYY-MM-DD. */
  date: string
  start: number
  end: number
  activities: Activity[]
  visitors: Visitor[]
  events: PlannedEvent[]
}

export function activityAt(plan: DayPlan, ts: number): Activity | undefined {
  return plan.activities.find((a) => a.start <= ts && ts < a.end)
}

/** Where the elder's day ends: the next day starts there (tours keep elders away overnight). */
export function endPlace(plan: DayPlan): Place | undefined {
  const last = plan.activities[plan.activities.length - 1]
  return last ? (last.to ?? last.place) : undefined
}

/**
 * The problems with a plan (empty when well-formed): activities contiguous and non-empty,
 * covering the day exactly, travel linking the places on each side; `homeOvernight` also
 * requires the day to start and end at home, as an ordinary day does.
 */
export function planProblems(plan: DayPlan, opts: { homeOvernight?: boolean } = {}): string[] {
  const problems: string[] = []
  const acts = plan.activities
  if (acts.length === 0) return ['no activities']
  if (acts[0]?.start !== plan.start) problems.push('does not start at the start of the day')
  if (acts[acts.length - 1]?.end !== plan.end) problems.push('does not end at the end of the day')
  acts.forEach((a, i) => {
    if (!(a.end > a.start)) problems.push(`activity ${i} (${a.kind}) is empty or reversed`)
    if (a.kind === 'travel' && !a.to) problems.push(`activity ${i} travels nowhere`)
    if (a.kind !== 'travel' && a.to) problems.push(`activity ${i} (${a.kind}) has a destination but is not travel`)
    const next = acts[i + 1]
    if (!next) return
    if (next.start !== a.end) problems.push(`gap or overlap between activity ${i} and ${i + 1}`)
    const here = a.to ?? a.place
    if (here.key !== next.place.key) problems.push(`activity ${i + 1} starts at ${next.place.key} but the elder is at ${here.key}`)
  })
  if (opts.homeOvernight) {
    if (acts[0]?.place.kind !== 'home') problems.push('does not start at home')
    const last = acts[acts.length - 1]
    if (last && (last.to ?? last.place).kind !== 'home') problems.push('does not end at home')
  }
  for (const v of plan.visitors) if (!(v.leaveAt > v.arriveAt) || v.strangers > v.persons) problems.push(`bad visitor at ${v.arriveAt}`)
  return problems
}

/** Door to door: walking for short hops, the county bus across town, a coach beyond. */
export function travelMs(from: Place, to: Place): number {
  const metres = distanceMetres(from, to)
  if (metres < 1500) return Math.max(3 * MINUTE_MS, (metres / 4000) * 3_600_000)
  if (metres < 30_000) return 10 * MINUTE_MS + (metres / 18_000) * 3_600_000
  return 20 * MINUTE_MS + (metres / 60_000) * 3_600_000
}

/**
 * Builds well-formed plans: add stays in time order and the trips between them are filled
 * in. Scenarios use it too: `new PlanBuilder(plan0).stayUntil(t).go(hall, {kind: 'lecture',
 * at: t2, minutes: 90}).home().build()`.
 */
export class PlanBuilder {
  private readonly activities: Activity[] = []
  private here: Place
  private now: number

  constructor(
    private readonly base: { elderKey: string; date: string; start: number; end: number },
    private readonly home: Place,
    startPlace: Place = home,
    startKind: ActivityKind = 'sleep',
  ) {
    this.here = startPlace
    this.now = base.start
    this.startKind = startKind
  }

  private startKind: ActivityKind

  get time(): number {
    return this.now
  }

  get place(): Place {
    return this.here
  }

  /** Stay where the elder is until `until` (ignored when already past it). */
  stayUntil(until: number, kind?: ActivityKind, watch?: WatchState): this {
    const end = Math.min(until, this.base.end)
    if (end <= this.now) return this
    const previous = this.activities[this.activities.length - 1]
    // Waiting on where one already is continues what one was doing there.
    const continued = previous && previous.kind !== 'travel' && previous.kind !== 'sleep' && previous.place.key === this.here.key ? previous.kind : undefined
    const activityKind = kind ?? continued ?? (this.activities.length === 0 ? this.startKind : this.here.kind === 'home' ? 'home' : 'visit')
    this.activities.push({ kind: activityKind, place: this.here, start: this.now, end, ...(watch && watch !== 'worn' ? { watch } : {}) })
    this.now = end
    return this
  }

  /** Travel to `place`, leaving now or so as to arrive at `at`; then stay `minutes` there. */
  go(place: Place, opts: { kind: ActivityKind; minutes: number; at?: number; watch?: WatchState }): this {
    const trip = place.key === this.here.key ? 0 : travelMs(this.here, place)
    if (opts.at !== undefined) this.stayUntil(opts.at - trip)
    if (trip > 0) {
      const end = Math.min(this.now + trip, this.base.end)
      if (end > this.now) this.activities.push({ kind: 'travel', place: this.here, to: place, start: this.now, end })
      this.now = end
      this.here = place
    }
    return this.stayUntil(this.now + opts.minutes * MINUTE_MS, opts.kind, opts.watch)
  }

  /** Travel home (if away). */
  goHome(): this {
    if (this.here.key === this.home.key) return this
    return this.go(this.home, { kind: 'home', minutes: 0 })
  }

  /** Rest of the day where the elder is, with an evening's `kind` from `from` on. */
  finish(kind: ActivityKind = 'sleep', from?: number, watch?: WatchState): DayPlan {
    if (from !== undefined && from > this.now) this.stayUntil(from)
    this.stayUntil(this.base.end, kind, watch)
    return { ...this.base, activities: this.activities, visitors: [], events: [] }
  }
}
