import { describe, expect, it } from 'vitest'
import type { RuleInput } from '../src/index'
import { BANK_AT, DAY, HOME, HOSPITAL_AT, INVEST_AT, LECTURE_AT, MARKET_AT, MIN, at, fix, makeCtx, offset, outing, rulesOf, run, stayAt, track } from './support/world'

const ctx = makeCtx()
const only = (rule: string, inputs: RuleInput[], end: number): string[] =>
  rulesOf(run(inputs, ctx, end).findings.filter((f) => f.rule === rule))

describe('geofence visits', () => {
  it('a track jittering ±60 m across a venue edge for an hour makes exactly one visit', () => {
    // Lecture hall radius 60 m: fixes at 0–120 m from the centre, crossing the edge constantly.
    const jitter = track(at(0, 9), at(0, 10), MIN, (_ts, i) => offset(LECTURE_AT.lat, LECTURE_AT.lon, 60 + 60 * Math.sin(i * 1.7), 0))
    const inputs = [...stayAt(HOME, at(0, 8, 30), at(0, 9)), ...jitter, ...stayAt(HOME, at(0, 10, 30), at(0, 11))]
    const { state } = run(inputs, ctx, at(0, 12))
    const s = state.elders['e1']!.live
    expect(s.visits).toHaveLength(1)
    expect(s.visits[0]!.venueId).toBe('v-lecture')
    expect(s.visits[0]!.end - s.visits[0]!.start).toBeGreaterThanOrEqual(50 * MIN)
  })

  it('leaving for longer than the grace period ends the visit; coming back starts a new one', () => {
    const inputs = [...outing(LECTURE_AT, at(0, 9), 30), ...outing(LECTURE_AT, at(0, 15), 30)]
    const { state } = run(inputs, ctx, at(0, 18))
    expect(state.elders['e1']!.live.visits).toHaveLength(2)
  })

  it.each([
    ['acc 200 m', { acc: 200 }],
    ['src lbs', { src: 'lbs' as const, acc: 40 }],
  ])('fixes with %s never start a visit', (_name, extra) => {
    const inputs = [0, 1, 2].flatMap((d) => track(at(d, 9), at(d, 10), MIN, () => LECTURE_AT, extra))
    const { state, findings } = run(inputs, ctx, at(3, 0))
    expect(state.elders['e1']!.live.visits).toHaveLength(0)
    expect(findings.filter((f) => f.rule === 'venue.repeat')).toHaveLength(0)
  })

  it('a polygon venue counts visits (point-in-polygon)', () => {
    const inputs = [...outing(INVEST_AT, at(0, 9), 30), ...outing(INVEST_AT, at(1, 9), 30)]
    expect(only('venue.repeat', inputs, at(2, 0))).toEqual(['venue.repeat:yellow'])
  })
})

describe('venue.repeat', () => {
  it.each<[string, RuleInput[], string[]]>([
    ['one visit', outing(LECTURE_AT, at(0, 9), 30), []],
    ['two short visits (15 min < 20 min dwell)', [...outing(LECTURE_AT, at(0, 9), 15), ...outing(LECTURE_AT, at(2, 9), 15)], []],
    ['two visits in 7 days', [...outing(LECTURE_AT, at(0, 9), 30), ...outing(INVEST_AT, at(3, 9), 30)], ['venue.repeat:yellow']],
    ['two visits 8 days apart', [...outing(LECTURE_AT, at(0, 9), 30), ...outing(LECTURE_AT, at(8, 9), 30)], []],
    [
      'three visits',
      [...outing(LECTURE_AT, at(0, 9), 30), ...outing(LECTURE_AT, at(2, 9), 30), ...outing(INVEST_AT, at(4, 9), 30)],
      ['venue.repeat:yellow', 'venue.repeat:orange'],
    ],
    [
      'five visits, no three days in a row',
      [at(0, 9), at(0, 15), at(2, 9), at(4, 9), at(6, 9)].flatMap((t) => outing(LECTURE_AT, t, 30)),
      ['venue.repeat:yellow', 'venue.repeat:orange', 'venue.repeat:red'],
    ],
    [
      'three days in a row',
      [0, 1, 2].flatMap((d) => outing(LECTURE_AT, at(d, 9), 30)),
      ['venue.repeat:yellow', 'venue.repeat:red'],
    ],
  ])('%s', (_name, inputs, expected) => {
    expect(only('venue.repeat', inputs, at(10, 0))).toEqual(expected)
  })

  it('evidence names the venues and the visits with times and dwell', () => {
    const inputs = [...outing(LECTURE_AT, at(0, 9), 30), ...outing(INVEST_AT, at(3, 9), 45)]
    const f = run(inputs, ctx, at(4, 0)).findings.find((x) => x.rule === 'venue.repeat')!
    expect(f.elderId).toBe('e1')
    expect(f.summary).toMatch(/2 visits to risky venues/)
    const visits = f.evidence['visits'] as Array<{ venueName: string; dwellMin: number; start: string }>
    expect(visits.map((v) => v.venueName)).toEqual(['Free health lecture hall', 'Golden Years pension project office'])
    expect(visits[1]!.dwellMin).toBeGreaterThanOrEqual(20)
    expect(visits[0]!.start).toBe(new Date(at(0, 9)).toISOString())
  })

  it('does not fire for daily market visits or a weekly hospital visit', () => {
    const market = Array.from({ length: 14 }, (_, d) => outing(MARKET_AT, at(d, 7), 60)).flat()
    const hospital = [0, 7, 14, 21].flatMap((d) => outing(HOSPITAL_AT, at(d, 14), 90))
    const { findings, state } = run([...market, ...hospital], ctx, at(22, 0))
    // Only maintenance (device.offline between outings: the test track has gaps) — no risk.
    expect(findings.filter((f) => f.level !== 'green')).toEqual([])
    expect(state.elders['e1']!.live.visits).toEqual([])
  })
})

describe('money.bank_after_venue', () => {
  it.each<[string, RuleInput[], string[]]>([
    ['two risky visits then the bank within 48 h', [...outing(LECTURE_AT, at(0, 9), 30), ...outing(INVEST_AT, at(1, 9), 30), ...outing(BANK_AT, at(1, 15), 10)], ['money.bank_after_venue:red']],
    ['one risky visit then the bank', [...outing(LECTURE_AT, at(0, 9), 30), ...outing(BANK_AT, at(0, 15), 10)], []],
    ['two risky visits, bank three days later', [...outing(LECTURE_AT, at(0, 9), 30), ...outing(INVEST_AT, at(0, 15), 30), ...outing(BANK_AT, at(3, 15), 10)], []],
    ['bank only', [0, 1, 2].flatMap((d) => outing(BANK_AT, at(d, 10), 10)), []],
    ['walking past the bank (2 min)', [...outing(LECTURE_AT, at(0, 9), 30), ...outing(INVEST_AT, at(1, 9), 30), ...outing(BANK_AT, at(1, 15), 2)], []],
  ])('%s', (_name, inputs, expected) => {
    expect(only('money.bank_after_venue', inputs, at(5, 0))).toEqual(expected)
  })
})

it('keeps a fix with accuracy at the limit (150 m) able to start a visit', () => {
  const inputs = [...stayAt(HOME, at(0, 8), at(0, 9)), ...track(at(0, 9), at(0, 9, 40), MIN, () => LECTURE_AT, { acc: 150 })]
  const { state } = run(inputs, ctx, at(0, 10))
  expect(state.elders['e1']!.live.visit?.venueId ?? state.elders['e1']!.live.visits[0]?.venueId).toBe('v-lecture')
  expect(fix(0, HOME).acc).toBe(15)
  expect(DAY).toBe(86_400_000)
})
