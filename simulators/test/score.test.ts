import { describe, expect, it } from 'vitest'
import { failingRules, median, score, type ScoredAlert } from '../src/evaluate/score'
import type { GroundTruth } from '../src/scenarios/plant'

/** Scoring math, table-driven: ground truth and alerts in, counts and ratios out. */
const H = 3_600_000
const scam = (elderId: string, rule: string, at = 10 * H, minLevel: GroundTruth['expect'][number]['minLevel'] = 'orange'): GroundTruth => ({
  elderKey: elderId, elderId, elderName: elderId, scenario: `scam-${elderId}`, kind: 'scam',
  expect: [{ rule, minLevel, at, deadline: at + 24 * H }], mustNot: ['absence.trip'], allow: [],
})
const benign = (elderId: string): GroundTruth => ({
  elderKey: elderId, elderId, elderName: elderId, scenario: `benign-${elderId}`, kind: 'benign', expect: [], mustNot: ['*'], allow: ['device.offline'],
})
const background = (elderId: string): GroundTruth => ({ ...benign(elderId), scenario: '(background)', kind: 'background', allow: ['device.offline', 'device.battery', 'venue.candidate'] })
const alert = (elderId: string, rule: string, level: ScoredAlert['level'], firstAt: number): ScoredAlert => ({ elderId, rule, level, firstAt })

interface Case {
  name: string
  truths: GroundTruth[]
  alerts: ScoredAlert[]
  rule: string
  want: { planted: number; detected: number; missed: number; falseOnScenarios: number; falseOnBackground: number; precision: number | null; recall: number | null; medianDetectMs: number | null }
}

const cases: Case[] = [
  {
    name: 'one planted, detected in time: precision and recall 1',
    truths: [scam('a', 'venue.repeat')], alerts: [alert('a', 'venue.repeat', 'orange', 12 * H)], rule: 'venue.repeat',
    want: { planted: 1, detected: 1, missed: 0, falseOnScenarios: 0, falseOnBackground: 0, precision: 1, recall: 1, medianDetectMs: 2 * H },
  },
  {
    name: 'an alert below the expected level is a miss, not a false alert',
    truths: [scam('a', 'venue.repeat')], alerts: [alert('a', 'venue.repeat', 'yellow', 12 * H)], rule: 'venue.repeat',
    // Nothing flagged for the rule at all: precision is undefined, not 0.
    want: { planted: 1, detected: 0, missed: 1, falseOnScenarios: 0, falseOnBackground: 0, precision: null, recall: 0, medianDetectMs: null },
  },
  {
    name: 'a higher level than expected counts',
    truths: [scam('a', 'venue.repeat')], alerts: [alert('a', 'venue.repeat', 'red', 11 * H)], rule: 'venue.repeat',
    want: { planted: 1, detected: 1, missed: 0, falseOnScenarios: 0, falseOnBackground: 0, precision: 1, recall: 1, medianDetectMs: H },
  },
  {
    name: 'too late (after within) or before the planted moment is a miss',
    truths: [scam('a', 'safety.sos', 10 * H, 'red'), scam('b', 'safety.sos', 10 * H, 'red')],
    alerts: [alert('a', 'safety.sos', 'red', 35 * H), alert('b', 'safety.sos', 'red', 9 * H)], rule: 'safety.sos',
    want: { planted: 2, detected: 0, missed: 2, falseOnScenarios: 0, falseOnBackground: 0, precision: null, recall: 0, medianDetectMs: null },
  },
  {
    name: 'look-alikes and background elders count against precision',
    truths: [scam('a', 'venue.repeat'), scam('b', 'venue.repeat'), benign('c'), background('d'), background('e')],
    alerts: [alert('a', 'venue.repeat', 'orange', 11 * H), alert('b', 'venue.repeat', 'orange', 13 * H), alert('c', 'venue.repeat', 'yellow', 0), alert('d', 'venue.repeat', 'red', 0)],
    rule: 'venue.repeat',
    want: { planted: 2, detected: 2, missed: 0, falseOnScenarios: 1, falseOnBackground: 1, precision: 0.5, recall: 1, medianDetectMs: 2 * H },
  },
  {
    name: 'recall over several plants; median of detection times',
    truths: [scam('a', 'home.strangers', 0, 'yellow'), scam('b', 'home.strangers', 0, 'yellow'), scam('c', 'home.strangers', 0, 'yellow'), scam('d', 'home.strangers', 0, 'yellow')],
    alerts: [alert('a', 'home.strangers', 'yellow', H), alert('b', 'home.strangers', 'yellow', 3 * H), alert('c', 'home.strangers', 'orange', 8 * H)],
    rule: 'home.strangers',
    want: { planted: 4, detected: 3, missed: 1, falseOnScenarios: 0, falseOnBackground: 0, precision: 1, recall: 0.75, medianDetectMs: 3 * H },
  },
  {
    name: "a scam elder's mustNot rule is false; allowed maintenance on look-alikes is not",
    truths: [scam('a', 'venue.repeat'), benign('b'), background('c')],
    alerts: [alert('a', 'absence.trip', 'red', 0), alert('b', 'device.offline', 'green', 0), alert('c', 'device.battery', 'green', 0)],
    rule: 'absence.trip',
    want: { planted: 0, detected: 0, missed: 0, falseOnScenarios: 1, falseOnBackground: 0, precision: 0, recall: null, medianDetectMs: null },
  },
]

describe('score', () => {
  it.each(cases)('$name', ({ truths, alerts, rule, want }) => {
    const card = score(truths, alerts)
    const s = card.rules.find((r) => r.rule === rule)
    expect(s).toBeDefined()
    const { rule: _rule, detectMs: _ms, ...got } = s!
    expect(got).toEqual(want)
  })

  it('does not score side effects on scam elders (a tour also raises absence.overnight)', () => {
    const card = score([scam('a', 'absence.trip')], [alert('a', 'absence.trip', 'red', 11 * H), alert('a', 'absence.overnight', 'orange', 11 * H)])
    expect(card.rules.map((r) => r.rule)).toEqual(['absence.trip'])
    expect(card.sideEffects.map((s) => s.alert.rule)).toEqual(['absence.overnight'])
    expect(card.falseAlerts).toEqual([])
  })

  it('lists misses with what the gateway raised instead', () => {
    const card = score([scam('a', 'venue.repeat')], [alert('a', 'venue.repeat', 'yellow', 11 * H)])
    expect(card.misses).toEqual([expect.objectContaining({ rule: 'venue.repeat', elderKey: 'a', got: [expect.objectContaining({ level: 'yellow' })] })])
  })

  it.each([
    { recall: 0.95, precision: 0.9, failing: [] },
    { recall: 0.94, precision: 1, failing: ['recall'] },
    { recall: 1, precision: 0.89, failing: ['precision'] },
    { recall: null, precision: null, failing: [] },
  ])('holds rules to recall ≥ 0.95 and precision ≥ 0.90: $recall / $precision', ({ recall, precision, failing }) => {
    const card = { rules: [{ rule: 'r', planted: 1, detected: 1, missed: 0, falseOnScenarios: 0, falseOnBackground: 0, precision, recall, detectMs: [], medianDetectMs: null }], misses: [], falseAlerts: [], sideEffects: [] }
    expect(failingRules(card).map((f) => f.reason.split(' ')[0])).toEqual(failing)
  })

  it.each([
    [[], null],
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 2, 3], 2.5],
  ])('median of %j is %s', (values, want) => {
    expect(median(values)).toBe(want)
  })
})
