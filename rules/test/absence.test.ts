import { describe, expect, it } from 'vitest'
import type { RuleInput } from '../src/index'
import { HOME, HOUR, MIN, at, camera, elder, fix, makeCtx, offset, rulesOf, run, track } from './support/world'

const NEAR = offset(HOME.lat, HOME.lon, 3000, 0) // 3 km: a friend's flat
const FAR = offset(HOME.lat, HOME.lon, 60_000, 0) // 60 km: a "cheap tour" destination

/** At home, then away at `p` from `from` to `to` (fixes every 10 min), then home again. */
function absence(p: { lat: number; lon: number }, from: number, to: number, extra = {}): RuleInput[] {
  return [
    ...track(from - HOUR, from, 10 * MIN, () => HOME),
    ...track(from, to, 10 * MIN, () => p, extra),
    ...track(to, to + HOUR, 10 * MIN, () => HOME),
  ]
}

const ctx = makeCtx()
const absenceRules = (inputs: RuleInput[], end: number, c = ctx): string[] =>
  rulesOf(run(inputs, c, end).findings.filter((f) => f.rule.startsWith('absence.')))

describe('absence rules', () => {
  it.each<[string, RuleInput[], string[]]>([
    ['away 11 h in the day', absence(NEAR, at(0, 7), at(0, 18)), []],
    ['away 13 h in the day', absence(NEAR, at(0, 6), at(0, 19)), ['absence.long:yellow']],
    ['away 22:00–01:00', absence(NEAR, at(0, 22), at(1, 1)), ['absence.overnight:orange']],
    ['away 18:00–23:30', absence(NEAR, at(0, 18), at(0, 23, 30)), []],
    ['away 37 h (two nights)', absence(NEAR, at(0, 8), at(1, 21)), ['absence.long:yellow', 'absence.overnight:orange', 'absence.trip:red']],
    ['60 km away for 7 h', absence(FAR, at(0, 8), at(0, 15)), ['absence.trip:red']],
    ['60 km away for 5 h', absence(FAR, at(0, 8), at(0, 13)), []],
    ['lbs fixes 3 km out overnight (too coarse to flip home→away)', absence(NEAR, at(0, 22), at(1, 6), { src: 'lbs', acc: 1500 }), []],
    ['lbs fixes 60 km out for 8 h (very far: away)', absence(FAR, at(0, 8), at(0, 16), { src: 'lbs', acc: 2000 }), ['absence.trip:red']],
    ['no data at all overnight', [...track(at(0, 20), at(0, 21), 10 * MIN, () => HOME), ...track(at(1, 7), at(1, 8), 10 * MIN, () => HOME)], []],
  ])('%s', (_name, inputs, expected) => {
    expect(absenceRules(inputs, at(3, 0)).sort()).toEqual([...expected].sort())
  })

  it('absence.long fires at the event time the threshold was crossed, with evidence', () => {
    const f = run(absence(NEAR, at(0, 6), at(0, 19)), ctx, at(1, 0)).findings.find((x) => x.rule === 'absence.long')!
    expect(f.ts).toBe(at(0, 18))
    expect(f.evidence['awayMin']).toBe(720)
    expect(f.evidence['distanceKm']).toBe(3)
    expect(f.summary).toMatch(/away from home for 12 h/)
  })

  it('absence.overnight fires at local midnight (Asia/Shanghai), not UTC midnight', () => {
    const f = run(absence(NEAR, at(0, 22), at(1, 1)), ctx, at(2, 0)).findings.find((x) => x.rule === 'absence.overnight')!
    expect(f.ts).toBe(at(1, 0))
    expect(f.evidence['night']).toBe('2025-03-04')
  })

  it('absence.long learns the elder\'s own baseline: a daily 8 h absence from 08:00 raises the bar to 16 h', () => {
    const routine = Array.from({ length: 10 }, (_, d) => absence(NEAR, at(d, 8), at(d, 16))).flat()
    const long14 = absence(NEAR, at(10, 8), at(10, 22))
    const long17 = absence(NEAR, at(11, 8), at(12, 1))
    expect(absenceRules([...routine, ...long14], at(11, 0))).toEqual([])
    expect(absenceRules(long14, at(11, 0))).toEqual(['absence.long:yellow']) // control: no history → 12 h
    // 17 h > 2 × 8 h: fires (at 08:00 + 16 h = 00:00, also overnight).
    const findings = run([...routine, ...long17], ctx, at(13, 0)).findings
    const long = findings.find((f) => f.rule === 'absence.long')!
    expect(long.ts).toBe(at(11, 8) + 16 * HOUR)
    expect(long.evidence['baselineP95Min']).toBe(480)
  })

  it('a night at the daughter\'s announced in advance raises nothing', () => {
    const night = absence(NEAR, at(0, 17), at(1, 10))
    expect(absenceRules(night, at(2, 0)).sort()).toEqual(['absence.long:yellow', 'absence.overnight:orange'])
    const planned = makeCtx({ elders: [elder('e1', { expectedAway: [{ from: at(0, 16), to: at(1, 12) }] })] })
    expect(absenceRules(night, at(2, 0), planned)).toEqual([])
  })

  it('one GPS outlier at night does not start an absence (two away fixes are needed)', () => {
    const inputs = [...track(at(0, 22), at(1, 4), 10 * MIN, (ts) => (ts === at(1, 2) ? NEAR : HOME))]
    expect(absenceRules(inputs, at(2, 0))).toEqual([])
  })

  it('the camera seeing the elder means home, whatever the last watch fix said', () => {
    // Watch left at a friend's flat at 21:00; the camera sees the elder at home from 22:00.
    const inputs: RuleInput[] = [
      ...track(at(0, 20), at(0, 21), 10 * MIN, () => NEAR),
      camera(at(0, 22), { presence: true }),
    ]
    const { state, findings } = run(inputs, ctx, at(1, 6))
    expect(state.elders['e1']!.live.place).toBe('home')
    expect(findings.filter((f) => f.rule.startsWith('absence.'))).toEqual([])
  })

  it('advance() alone fires absence rules for an elder whose data stopped while away', () => {
    const inputs = track(at(0, 20), at(0, 23), 10 * MIN, (ts) => (ts < at(0, 21) ? HOME : NEAR))
    const rules = rulesOf(run(inputs, ctx, at(1, 1)).findings)
    expect(rules).toContain('absence.overnight:orange')
    expect(rules).toContain('device.removed:orange') // silent for 30 min while away
    expect(fix(0, HOME).lat).toBe(HOME.lat)
  })
})
