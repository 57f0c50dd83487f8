import { describe, expect, it } from 'vitest'
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/core/clock'
import { distanceMetres } from '../src/core/geo'
import { CameraSim } from '../src/devices/camera-sim'
import type { CameraReadingBody, DeviceMessage, WatchReadingBody } from '../src/devices/messages'
import { WatchSim } from '../src/devices/watch-sim'
import { ElderRoutine } from '../src/routine/elder-routine'
import { activityAt, planProblems, type DayPlan } from '../src/routine/plan'
import { generateTown } from '../src/town/generate'
import { DAY0, testTown } from './helpers'

const town = testTown(12)
const week = (routine: ElderRoutine): DayPlan[] => Array.from({ length: 7 }, (_, d) => routine.planDay(DAY0 + d * DAY_MS))

describe('ElderRoutine', () => {
  it('makes well-formed days: contiguous, covering the day, at home overnight', () => {
    for (const elder of town.elders) {
      for (const plan of week(new ElderRoutine(town, elder, 42))) {
        expect(planProblems(plan, { homeOvernight: true }), `${elder.key} ${plan.date}`).toEqual([])
        expect(activityAt(plan, plan.start + 2 * HOUR_MS)?.kind).toBe('sleep')
        expect(activityAt(plan, plan.end - MINUTE_MS)?.kind).toBe('sleep')
      }
    }
  })

  it('gives the same plan for the same seed and another for another seed', () => {
    const elder = town.elders[0]!
    const a = week(new ElderRoutine(town, elder, 42))
    expect(week(new ElderRoutine(town, elder, 42))).toEqual(a)
    expect(week(new ElderRoutine(town, elder, 7))).not.toEqual(a)
  })

  it('gets elders out of the house: markets, parks and clinics over a week', () => {
    const kinds = new Set(town.elders.flatMap((e) => week(new ElderRoutine(town, e, 42))).flatMap((p) => p.activities.map((a) => a.kind)))
    for (const kind of ['sleep', 'home', 'travel', 'shopping', 'exercise'] as const) expect(kinds).toContain(kind)
  })

  it('applies an override for the given day only, and refuses a malformed one', () => {
    const elder = town.elders[1]!
    const hall = town.venuesOf('sales')[0]!
    const date = '2026-11-03'
    const routine = new ElderRoutine(town, elder, 42).override(date, ({ builder }) =>
      builder().stayUntil(DAY0 + DAY_MS + 7 * HOUR_MS, 'sleep', 'charging').go(hall, { kind: 'lecture', minutes: 90, at: DAY0 + DAY_MS + 9 * HOUR_MS }).goHome().finish('sleep', DAY0 + DAY_MS + 21 * HOUR_MS),
    )
    const plan = routine.planDay(DAY0 + DAY_MS)
    expect(planProblems(plan, { homeOvernight: true })).toEqual([])
    expect(activityAt(plan, DAY0 + DAY_MS + 9.5 * HOUR_MS)).toMatchObject({ kind: 'lecture', place: { key: hall.key } })
    // Other days are untouched.
    expect(routine.planDay(DAY0)).toEqual(new ElderRoutine(town, elder, 42).planDay(DAY0))

    const broken = new ElderRoutine(town, elder, 42).override(date, ({ base }) => ({ ...base, activities: base.activities.slice(1) }))
    expect(() => broken.planDay(DAY0 + DAY_MS)).toThrow(/bad plan/)
  })
})

describe('generateTown', () => {
  it('lays out the same town for the same seed (secrets aside) with venues of every kind', () => {
    const strip = (seed: number) => JSON.stringify(generateTown({ seed, elders: 20, receiverUrl: 'http://r' }), (k, v: unknown) => (k === 'secret' ? undefined : v))
    expect(strip(5)).toBe(strip(5))
    expect(strip(6)).not.toBe(strip(5))
    const t = generateTown({ seed: 5, elders: 20, receiverUrl: 'http://r' })
    expect(new Set(t.venues.map((v) => v.kind))).toEqual(new Set(['sales', 'investment', 'travel', 'bank', 'care', 'hospital', 'other']))
    // A daughter's home is a private place, never a registered venue.
    expect(t.venues.some((v) => v.name.includes('女儿'))).toBe(false)
    expect(t.places.every((p) => p.kind === 'child_home')).toBe(true)
    for (const e of t.elders) expect(distanceMetres(e.home, t.centre)).toBeLessThanOrEqual(5_001)
  })
})

describe('DeviceSim', () => {
  const elder = town.elders[2]!
  const plans = week(new ElderRoutine(town, elder, 42))
  const watchWeek = (seed: number) => {
    const sim = new WatchSim(elder, seed)
    return plans.map((p) => sim.simulateDay(p))
  }

  it('gives the same readings and events for the same seed', () => {
    expect(watchWeek(42)).toEqual(watchWeek(42))
    expect(watchWeek(43)).not.toEqual(watchWeek(42))
  })

  it('sends readings in strictly increasing event time inside the day, with plausible values', () => {
    for (const [i, day] of watchWeek(42).entries()) {
      const readings = day.messages.filter((m): m is Extract<DeviceMessage, { channel: 'telemetry' }> => m.channel === 'telemetry').map((m) => m.body as WatchReadingBody)
      expect(readings.length).toBeGreaterThan(150)
      readings.forEach((r, j) => {
        if (j > 0) expect(r.ts).toBeGreaterThan(readings[j - 1]!.ts)
        expect(r.ts).toBeGreaterThanOrEqual(plans[i]!.start)
        expect(r.bat).toBeGreaterThanOrEqual(0)
        expect(r.bat).toBeLessThanOrEqual(100)
        if (r.src === 'lbs') expect(r.acc).toBeGreaterThanOrEqual(800)
        if (r.src === 'gps') expect(r.acc).toBeLessThanOrEqual(30)
        if (r.worn) expect(r.hr).toBeGreaterThan(40)
        else expect(r.hr).toBeUndefined()
      })
    }
  })

  it('puts the watch on the charger at night and on the wrist by day', () => {
    const events = watchWeek(42).flatMap((d) => d.messages).filter((m) => m.channel === 'event').map((m) => m.body.type)
    expect(events).toContain('removed')
    expect(events).toContain('worn')
  })

  it('lets the camera see strangers planted in a plan, and door events when they come', () => {
    const plan = structuredClone(plans[0]!)
    const home = plan.activities.find((a) => a.kind === 'home' && a.end - a.start > 2 * HOUR_MS)!
    plan.visitors = [{ arriveAt: home.start + 30 * MINUTE_MS, leaveAt: home.start + 75 * MINUTE_MS, persons: 2, strangers: 2 }]
    const day = new CameraSim(elder, 42).simulateDay(plan)
    const withStrangers = day.messages.filter((m) => m.channel === 'telemetry' && (m.body as CameraReadingBody).strangers === 2)
    expect(withStrangers.length).toBeGreaterThan(0)
    expect(day.messages.some((m) => m.channel === 'event' && m.body.type === 'door_open' && m.ts === home.start + 30 * MINUTE_MS)).toBe(true)
  })
})
