import { DAY_MS, localDate, MINUTE_MS } from '../core/clock'
import { Rng } from '../core/prng'
import type { GatewayApi } from '../core/api-client'
import type { OverrideContext } from '../routine/elder-routine'
import type { WatchHabit } from '../devices/upload-plan'
import type { DayPlan, PlannedEvent } from '../routine/plan'
import type { TownSim } from '../run/town-sim'
import type { Town, TownElder, TownFile } from '../town/town'
import { locate, pointFrom, resolvePlace, scenarioPlaceKey } from './places'
import type { Scenario } from './load'
import { clockMinutes, durationMs, type DayOverride, type WatchHabitSpec } from './schema'
import type { RiskLevel } from '../../../contract/levels'

/**
 * Planting scenarios: before seeding, shape the elder (archetype, home, the scenario's own
 * places) in the town file; after seeding, register planned absences and override the days
 * in the run. The result is the written ground truth, in absolute event times.
 */
export interface Assignment {
  scenario: Scenario
  elderKey: string
}

export interface PlantedExpectation {
  rule: string
  minLevel: RiskLevel
  /** Planted moment (event ms) and the latest acceptable firstAt. */
  at: number
  deadline: number
}

export interface GroundTruth {
  elderKey: string
  elderId: string
  elderName: string
  scenario: string
  kind: 'scam' | 'benign' | 'background'
  expect: PlantedExpectation[]
  /** Rules that must not alert; '*' = all but expected and allowed. */
  mustNot: string[]
  allow: string[]
}

/** Event ms of a day/time in the run starting at local midnight `start`. */
export function momentMs(start: number, m: { day: number; time: string }): number {
  return start + (m.day - 1) * DAY_MS + clockMinutes(m.time) * MINUTE_MS
}

/** Applies archetypes, home moves, children's homes and scenario places to the file (before seeding). */
export function prepareTown(file: TownFile, assignments: readonly Assignment[], seed: number): void {
  for (const { scenario, elderKey } of assignments) {
    const elder = file.elders.find((e) => e.key === elderKey)
    if (!elder) throw new Error(`no elder ${elderKey} for scenario ${scenario.name}`)
    const rng = Rng.for(seed, 'scenario', scenario.name, elderKey)
    const arch = scenario.archetypeSpec
    if (arch.age) elder.age = rng.int(arch.age[0], arch.age[1])
    Object.assign(elder.profile, arch.profile)
    if (scenario.elder.home) {
      const near = locate(file, elder, scenario.elder.home.near)
      elder.home = { ...pointFrom(near, scenario.elder.home.distanceM, scenario.elder.home.bearingDeg), radiusM: elder.home.radiusM }
    }
    const refs = [...scenario.days.flatMap((d) => (d.plan ?? []).map((step) => (step.do === 'go' ? step.to : ''))), ...Object.values(scenario.places).map((p) => p.from), scenario.elder.home?.near]
    const wantsChild = arch.childInTown === true || refs.includes('child_home')
    if (wantsChild && !elder.habits.childHome) addChildHome(file, elder, rng)
    if (arch.childInTown === false && !refs.includes('child_home') && elder.habits.childHome) delete elder.habits.childHome
    // Scenario places may be placed from each other: resolve in rounds until none is left.
    let pending = Object.entries(scenario.places)
    while (pending.length > 0) {
      const before = pending.length
      pending = pending.filter(([name, p]) => {
        let from
        try {
          from = locate(file, elder, p.from)
        } catch {
          return true
        }
        const point = pointFrom(from, p.distanceM, p.bearingDeg)
        file.places.push({ key: scenarioPlaceKey(elderKey, name), name: p.name ?? name, kind: 'unregistered', elderKey, ...point, radiusM: p.radiusM, indoor: p.indoor })
        return false
      })
      if (pending.length === before) throw new Error(`${scenario.file}: places ${pending.map(([n]) => n).join(', ')} refer to each other in a circle`)
    }
  }
}

function addChildHome(file: TownFile, elder: TownElder, rng: Rng): void {
  const key = `child-home-${elder.key}`
  const point = pointFrom(elder.home, rng.range(3000, 8000), rng.range(0, 360))
  file.places.push({ key, name: `${elder.name}女儿家`, kind: 'child_home', elderKey: elder.key, ...point, radiusM: 80, indoor: true })
  elder.habits.childHome = key
}

/** Registers each scenario's planned absences with the gateway, as a family would beforehand. */
export async function registerExpectedAway(api: GatewayApi, town: Town, assignments: readonly Assignment[], start: number): Promise<void> {
  for (const { scenario, elderKey } of assignments) {
    if (scenario.expectedAway.length === 0) continue
    const elder = town.elder(elderKey)
    await api.request('PATCH', `/api/v1/elders/${elder.id}`, {
      expectedAway: scenario.expectedAway.map((a) => ({ from: momentMs(start, a.from), to: momentMs(start, a.to), ...(a.note ? { note: a.note } : {}) })),
    })
  }
}

/** Overrides the scenario days of each assigned elder's routine, and the watch's habits (before sim.startRun()). */
export function plantRoutines(sim: TownSim, town: Town, assignments: readonly Assignment[]): void {
  for (const { scenario, elderKey } of assignments) {
    const elder = town.elder(elderKey)
    if (scenario.elder.watch) sim.setWatchHabit(elderKey, watchHabit(scenario.elder.watch, sim.start))
    for (const override of scenario.days) {
      const dates = override.days.map((d) => localDate(sim.start + (d - 1) * DAY_MS + DAY_MS / 2, town.file.utcOffsetMin))
      sim.routine(elderKey).override(dates, (ctx) => planFor(ctx, town, elder, override))
    }
  }
}

/** A scenario's `elder.watch` in absolute event times for a run starting at local midnight `start`. */
export function watchHabit(spec: WatchHabitSpec, start: number): WatchHabit {
  return {
    ...(spec.fixEveryMin !== undefined ? { fixEveryMs: spec.fixEveryMin * MINUTE_MS } : {}),
    ...(spec.uploadEveryMin !== undefined ? { uploadEveryMs: spec.uploadEveryMin * MINUTE_MS } : {}),
    ...(spec.lateMin ? { lateMs: [spec.lateMin[0] * MINUTE_MS, spec.lateMin[1] * MINUTE_MS] as const } : {}),
    ...(spec.deadLink ? { deadLinks: spec.deadLink.map((w) => ({ from: momentMs(start, w.from), to: momentMs(start, w.to) })) } : {}),
  }
}

function planFor(ctx: OverrideContext, town: Town, elder: TownElder, override: DayOverride): DayPlan {
  const at = (time: string) => ctx.base.start + clockMinutes(time) * MINUTE_MS
  let plan = ctx.base
  if (override.plan) {
    const b = ctx.builder()
    let finished: DayPlan | undefined
    for (const step of override.plan) {
      if (step.do === 'stay') b.stayUntil(at(step.until), step.kind, step.watch)
      else if (step.do === 'home') b.goHome()
      else if (step.do === 'go') {
        b.go(resolvePlace(town, elder, step.to), { kind: step.kind, minutes: step.minutes, ...(step.at ? { at: at(step.at) } : {}), ...(step.watch ? { watch: step.watch } : {}) })
      } else finished = b.finish(step.kind ?? 'sleep', step.from ? at(step.from) : undefined, step.watch)
    }
    plan = finished ?? b.finish('sleep', at('21:30'), 'charging')
    // The routine's own visitors stay (family still drops by), unless the elder is away all day.
    plan.visitors = ctx.base.visitors.filter((v) => plan.activities.some((a) => a.place.kind === 'home' && a.kind !== 'travel' && a.start <= v.arriveAt && v.leaveAt <= a.end))
  }
  const visitors = (override.visitors ?? []).map((v) => ({ arriveAt: at(v.from), leaveAt: at(v.to), persons: v.persons, strangers: v.strangers, ...(v.note ? { note: v.note } : {}) }))
  const events: PlannedEvent[] = (override.events ?? []).map((e) => ({ at: at(e.at), type: e.type as PlannedEvent['type'], ...(e.detail ? { detail: e.detail } : {}) }))
  return {
    ...plan,
    visitors: [...plan.visitors, ...visitors].sort((a, b) => a.arriveAt - b.arriveAt),
    events: [...plan.events, ...events].sort((a, b) => a.at - b.at),
  }
}

/** The ground truth of the run: one entry per elder, background elders included. */
export function groundTruth(town: Town, assignments: readonly Assignment[], start: number): GroundTruth[] {
  const byElder = new Map(assignments.map((a) => [a.elderKey, a.scenario]))
  return town.elders.map((elder) => {
    const scenario = byElder.get(elder.key)
    const base = { elderKey: elder.key, elderId: elder.id as string, elderName: elder.name }
    if (!scenario) return { ...base, scenario: '(background)', kind: 'background', expect: [], mustNot: ['*'], allow: [...MAINTENANCE_RULES] }
    return {
      ...base, scenario: scenario.name, kind: scenario.kind,
      expect: scenario.expect.map((e) => {
        const at = momentMs(start, e.at)
        return { rule: e.rule, minLevel: e.minLevel, at, deadline: at + durationMs(e.within) }
      }),
      mustNot: scenario.mustNot, allow: scenario.allow,
    }
  })
}

/**
 * Background elders live ordinary weeks: any alert on them is false, except maintenance
 * (a watch that was not charged goes quiet; that is what device.offline/battery are for) and
 * operator findings about places (venue.candidate is not about the elder).
 */
export const MAINTENANCE_RULES = ['device.offline', 'device.battery', 'venue.candidate'] as const
