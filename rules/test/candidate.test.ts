import { describe, expect, it } from 'vitest'
import type { RuleInput } from '../src/index'
import { HOME, LECTURE_AT, MIN, at, elder, makeCtx, offset, run, stayAt, track } from './support/world'

const HALL = offset(HOME.lat, HOME.lon, 2500, -2500) // an unregistered back room
const ids = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6']
const ctx = makeCtx({ elders: ids.map((id) => elder(id)) })

/** Elder `id` sits within ~40 m of `p` for `dwellMin` on `day`. */
function gathering(p: { lat: number; lon: number }, day: number, elderIds: string[], dwellMin = 45): RuleInput[] {
  return elderIds.flatMap((id, k) => [
    ...stayAt(HOME, at(day, 8, 30), at(day, 9), id),
    ...track(at(day, 9), at(day, 9) + dwellMin * MIN, MIN, (_ts, i) => offset(p.lat, p.lon, (k * 10) + (i % 3) * 5, k * -8), {}, id),
    ...stayAt(HOME, at(day, 9) + dwellMin * MIN, at(day, 11), id),
  ])
}

const candidates = (inputs: RuleInput[]) => run(inputs, ctx, at(20, 0)).findings.filter((f) => f.rule === 'venue.candidate')

describe('venue.candidate', () => {
  it('5 elders gathering 45 min at an unregistered place on 2 days proposes one candidate venue', () => {
    const f = candidates([...gathering(HALL, 0, ids.slice(0, 5)), ...gathering(HALL, 3, ids.slice(1, 6))])
    expect(f).toHaveLength(1)
    expect(f[0]!.elderId).toBeNull()
    expect(f[0]!.evidence['elderIds']).toEqual(ids)
    expect(f[0]!.evidence['days']).toEqual(['2025-03-03', '2025-03-06'])
    const centre = f[0]!.evidence['centre'] as { lat: number; lon: number }
    expect(Math.abs(centre.lat - HALL.lat)).toBeLessThan(0.001)
    expect(f[0]!.evidence['radiusM']).toBeGreaterThanOrEqual(50)
  })

  it.each<[string, RuleInput[]]>([
    ['only one day', gathering(HALL, 0, ids.slice(0, 5))],
    ['only 4 elders', [...gathering(HALL, 0, ids.slice(0, 4)), ...gathering(HALL, 3, ids.slice(0, 4))]],
    ['dwell 20 min', [...gathering(HALL, 0, ids.slice(0, 5), 20), ...gathering(HALL, 3, ids.slice(0, 5), 20)]],
    ['days 15 apart', [...gathering(HALL, 0, ids.slice(0, 5)), ...gathering(HALL, 15, ids.slice(0, 5))]],
    ['a registered venue', [...gathering(LECTURE_AT, 0, ids.slice(0, 5)), ...gathering(LECTURE_AT, 3, ids.slice(0, 5))]],
  ])('no candidate: %s', (_name, inputs) => {
    expect(candidates(inputs)).toEqual([])
  })

  it('a third gathering at the same place does not propose it again', () => {
    const f = candidates([0, 2, 4].flatMap((d) => gathering(HALL, d, ids.slice(0, 5))))
    expect(f).toHaveLength(1)
  })
})
