import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { DAY_MS, localDate, MINUTE_MS } from '../src/core/clock'
import { distanceMetres } from '../src/core/geo'
import { activityAt, planProblems } from '../src/routine/plan'
import { TownSim } from '../src/run/town-sim'
import { loadArchetypes, loadScenario, loadSet, parseScenario, ScenarioError } from '../src/scenarios/load'
import { resolvePlace } from '../src/scenarios/places'
import { groundTruth, momentMs, plantRoutines, prepareTown, watchHabit } from '../src/scenarios/plant'
import { durationMs } from '../src/scenarios/schema'
import { generateTown } from '../src/town/generate'
import { Town } from '../src/town/town'
import { DAY0 } from './helpers'

const minimal = {
  name: 'x', title: 'x', kind: 'scam', elder: { archetype: 'widow-alone' },
  expect: [{ rule: 'safety.sos', minLevel: 'red', at: { day: 1, time: '10:00' }, within: 'PT10M' }],
}

async function problemsOf(raw: unknown): Promise<string[]> {
  try {
    parseScenario(raw, 'bad.json', await loadArchetypes())
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError)
    return (err as ScenarioError).problems
  }
  throw new Error('expected the scenario to be refused')
}

describe('scenario files', () => {
  it('loads and validates the whole standard set', async () => {
    const set = await loadSet('standard', { days: 7 })
    expect(set.length).toBeGreaterThanOrEqual(15)
    expect(new Set(set.flatMap((s) => s.expect.map((e) => e.rule)))).toEqual(
      new Set(['venue.repeat', 'absence.trip', 'money.bank_after_venue', 'home.strangers', 'device.removed', 'safety.sos', 'safety.fall', 'absence.overnight']),
    )
    expect(set.filter((s) => s.kind === 'benign').length).toBeGreaterThanOrEqual(5)
  })

  it.each([
    ['an unknown rule', { ...minimal, expect: [{ ...minimal.expect[0], rule: 'venue.repeats' }] }, /^expect\[0\]\.rule: one of venue\.repeat/],
    ['a bad time', { ...minimal, expect: [{ ...minimal.expect[0], at: { day: 1, time: '25:00' } }] }, /^expect\[0\]\.at\.time: a local time "HH:MM"/],
    ['a bad duration', { ...minimal, expect: [{ ...minimal.expect[0], within: '1 day' }] }, /^expect\[0\]\.within: an ISO-8601 duration/],
    ['an unknown step', { ...minimal, days: [{ days: [1], plan: [{ do: 'fly', to: 'home' }] }] }, /^days\[0\]\.plan\[0\]/],
    ['an unknown place', { ...minimal, days: [{ days: [1], plan: [{ do: 'go', to: 'lecture_hal', kind: 'lecture', minutes: 60 }] }] }, /^days\[0\]\.plan\[0\]\.to: unknown place 'lecture_hal'/],
    ['an unknown archetype', { ...minimal, elder: { archetype: 'pirate' } }, /^elder\.archetype: unknown archetype 'pirate'/],
    ['an unknown field', { ...minimal, colour: 'red' }, /colour/],
    ['a scam with no expectation', { ...minimal, expect: [] }, /^expect: a scam scenario must expect/],
    ['more strangers than persons', { ...minimal, days: [{ days: [1], visitors: [{ from: '10:00', to: '11:00', persons: 1, strangers: 2 }] }] }, /^days\[0\]\.visitors\[0\]\.strangers: must not exceed persons/],
    ['a benign file with no mustNot', { ...minimal, kind: 'benign', expect: [] }, /^mustNot: a benign scenario must say/],
    ['late uploads without an upload period', { ...minimal, elder: { archetype: 'widow-alone', watch: { lateMin: [0, 240] } } }, /^elder\.watch\.lateMin: late uploads need uploadEveryMin/],
    ['a lateness range upside down', { ...minimal, elder: { archetype: 'widow-alone', watch: { uploadEveryMin: 10, lateMin: [240, 0] } } }, /^elder\.watch\.lateMin: \[min, max\]/],
    ['a dead link that ends before it starts', { ...minimal, elder: { archetype: 'widow-alone', watch: { deadLink: [{ from: { day: 2, time: '03:00' }, to: { day: 2, time: '01:00' } }] } } }, /^elder\.watch\.deadLink\[0\]\.to: must be after from/],
    ['an unknown watch field', { ...minimal, elder: { archetype: 'widow-alone', watch: { fixEvery: 10 } } }, /^elder\.watch: .*fixEvery/],
  ])('refuses %s, naming the field', async (_what, raw, message) => {
    const problems = await problemsOf(raw)
    expect(problems.some((p) => message.test(p)), problems.join('\n')).toBe(true)
  })

  it('names the file, and refuses JSON that does not parse', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-scn-'))
    await writeFile(join(dir, 'broken.json'), '{ "name": ')
    await expect(loadScenario(join(dir, 'broken.json'))).rejects.toThrow(/broken\.json: not valid JSON/)
    await writeFile(join(dir, 'other.json'), JSON.stringify(minimal))
    await expect(loadScenario(join(dir, 'other.json'))).rejects.toThrow(/other\.json: name: 'x' does not match the file name 'other'/)
  })

  it('refuses days beyond the run', async () => {
    await expect(loadSet('standard', { days: 3 })).rejects.toThrow(/after the run's last day \(3\)/)
    const dead = { ...minimal, elder: { archetype: 'widow-alone', watch: { deadLink: [{ from: { day: 7, time: '23:00' }, to: { day: 8, time: '02:00' } }] } } }
    expect(() => parseScenario(dead, 'x.json', {}, { days: 7 })).toThrow(/elder\.watch\.deadLink\[0\]\.to\.day: day 8 is after the run's last day/)
  })

  it('turns elder.watch into absolute event times', () => {
    expect(watchHabit({ fixEveryMin: 10, uploadEveryMin: 25, lateMin: [0, 240], deadLink: [{ from: { day: 3, time: '23:00' }, to: { day: 4, time: '03:15' } }] }, DAY0)).toEqual({
      fixEveryMs: 10 * MINUTE_MS, uploadEveryMs: 25 * MINUTE_MS, lateMs: [0, 240 * MINUTE_MS],
      deadLinks: [{ from: momentMs(DAY0, { day: 3, time: '23:00' }), to: momentMs(DAY0, { day: 4, time: '03:15' }) }],
    })
    expect(watchHabit({}, DAY0)).toEqual({})
  })

  it('parses durations', () => {
    expect(durationMs('P1D')).toBe(DAY_MS)
    expect(durationMs('PT6H')).toBe(6 * 60 * MINUTE_MS)
    expect(durationMs('P2DT1H30M')).toBe(2 * DAY_MS + 90 * MINUTE_MS)
  })
})

describe('planting', () => {
  it('turns files into well-formed plans at the planned places and times, and into ground truth', async () => {
    const set = await loadSet('standard', { days: 7 })
    const file = generateTown({ seed: 3, elders: set.length + 2, receiverUrl: 'http://127.0.0.1:9' })
    const assignments = set.map((scenario, i) => ({ scenario, elderKey: file.elders[i]!.key }))
    prepareTown(file, assignments, 3)
    const town = new Town(file)
    town.elders.forEach((e, i) => Object.assign(e, { id: `elder-${i}`, watch: { id: `w-${i}`, secret: 's'.repeat(20) }, camera: { id: `c-${i}`, secret: 's'.repeat(20) } }))
    const sim = new TownSim({ town, mqttUrl: 'mqtt://unused', seed: 3, speed: 1, days: 7, start: DAY0 })
    const habits = vi.spyOn(sim, 'setWatchHabit')
    plantRoutines(sim, town, assignments)
    // Every scenario with elder.watch gives its own elder that watch, and no one else.
    expect(habits.mock.calls.map(([key]) => assignments.find((a) => a.elderKey === key)?.scenario.name).sort()).toEqual(set.filter((s) => s.elder.watch).map((s) => s.name).sort())
    expect(habits.mock.calls.find(([key]) => key === assignments.find((a) => a.scenario.name === 'power-saving-tour')?.elderKey)?.[1]).toEqual({ fixEveryMs: 10 * MINUTE_MS, uploadEveryMs: 25 * MINUTE_MS })
    const keyOf = (name: string) => assignments.find((a) => a.scenario.name === name)!.elderKey
    const planOf = (name: string, day: number) => sim.routine(keyOf(name)).planDay(DAY0 + (day - 1) * DAY_MS, undefined)
    for (const { scenario, elderKey } of assignments) {
      for (const d of scenario.days) for (const day of d.days) expect(planProblems(sim.routine(elderKey).planDay(DAY0 + (day - 1) * DAY_MS, undefined)), `${scenario.name} day ${day}`).toEqual([])
    }
    const lecture = activityAt(planOf('repeated-lectures', 3), momentMs(DAY0, { day: 3, time: '10:00' }))
    expect(lecture).toMatchObject({ kind: 'lecture', place: { kind: 'sales' } })
    expect(planOf('sos-at-home', 2).events).toEqual([expect.objectContaining({ type: 'sos', at: momentMs(DAY0, { day: 2, time: '10:15' }) })])
    expect(planOf('strangers-at-door', 3).visitors.some((v) => v.strangers === 2)).toBe(true)
    const neighbour = town.elder(keyOf('next-door-to-hall'))
    expect(distanceMetres(neighbour.home, resolvePlace(town, neighbour, 'lecture_hall'))).toBeCloseTo(130, 0)
    expect(distanceMetres(town.elder(keyOf('tour-multiday')).home, resolvePlace(town, town.elder(keyOf('tour-multiday')), 'resort'))).toBeGreaterThan(170_000)
    expect(localDate(DAY0)).toBe('2026-11-02')

    const truths = groundTruth(town, assignments, DAY0)
    expect(truths).toHaveLength(set.length + 2)
    expect(truths.filter((t) => t.kind === 'background')).toHaveLength(2)
    const sos = truths.find((t) => t.scenario === 'sos-at-home')!
    expect(sos.expect).toEqual([{ rule: 'safety.sos', minLevel: 'red', at: momentMs(DAY0, { day: 2, time: '10:15' }), deadline: momentMs(DAY0, { day: 2, time: '10:25' }) }])
  })
})
