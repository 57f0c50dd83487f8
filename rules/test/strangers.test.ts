import { describe, expect, it } from 'vitest'
import type { RuleInput } from '../src/index'
import { at, camera, makeCtx, rulesOf, run } from './support/world'

const ctx = makeCtx()
const strangersOn = (days: number[], hour = 10): RuleInput[] => days.map((d) => camera(at(d, hour), { strangers: 1, persons: 2, presence: true }))
const strangerRules = (inputs: RuleInput[]): string[] => rulesOf(run(inputs, ctx, at(30, 0)).findings.filter((f) => f.rule === 'home.strangers'))

describe('home.strangers', () => {
  it.each<[string, RuleInput[], string[]]>([
    ['2 days in 7', strangersOn([0, 3]), []],
    ['3 days in 7', strangersOn([0, 3, 6]), ['home.strangers:yellow']],
    ['3 days spread over 8', strangersOn([0, 4, 8]), []],
    ['5 days in 7', strangersOn([0, 1, 2, 4, 5]), ['home.strangers:yellow', 'home.strangers:orange']],
    ['many sightings on 2 days', [...strangersOn([0, 0, 0]), ...strangersOn([1], 9), ...strangersOn([1], 15)], []],
    ['visitors the camera recognises (strangers: 0)', [0, 1, 2, 3, 4].map((d) => camera(at(d, 10), { strangers: 0, persons: 3 })), []],
  ])('%s', (_name, inputs, expected) => {
    expect(strangerRules(inputs)).toEqual(expected)
  })

  it('counts local days: 23:30 and 00:30 Shanghai time are two days', () => {
    const inputs = [camera(at(0, 23, 30), { strangers: 1 }), camera(at(1, 0, 30), { strangers: 1 }), camera(at(3, 10), { strangers: 1 })]
    const f = run(inputs, ctx, at(5, 0)).findings.find((x) => x.rule === 'home.strangers')!
    expect(f.evidence['days']).toEqual(['2025-03-03', '2025-03-04', '2025-03-06'])
  })
})
