import { describe, expect, it } from 'vitest'
import { advance, ingest, initialEngineState, type RuleInput } from '../src/index'
import { HOME, HOUR, MIN, at, camera, event, makeCtx, offset, rulesOf, run, track, watch } from './support/world'

const NEAR = offset(HOME.lat, HOME.lon, 3000, 0)
const ctx = makeCtx()
const deviceRules = (inputs: RuleInput[], end: number): string[] =>
  rulesOf(run(inputs, ctx, end).findings.filter((f) => f.rule.startsWith('device.') || f.rule.startsWith('safety.'))).sort()

describe('device and safety rules', () => {
  it.each<[string, RuleInput[], number, string[]]>([
    ['watch removed while away', [...track(at(0, 9), at(0, 10), 5 * MIN, () => NEAR), event(at(0, 10), 'removed')], at(0, 10, 20), ['device.removed:orange']],
    ['worn:false while away', [...track(at(0, 9), at(0, 10), 5 * MIN, () => NEAR), watch(at(0, 10), { worn: false })], at(0, 10, 20), ['device.removed:orange']],
    ['watch removed at home', [...track(at(0, 9), at(0, 10), 5 * MIN, () => HOME), event(at(0, 10), 'removed')], at(0, 10, 20), []],
    ['watch removed away, checked within the grace', [...track(at(0, 9), at(0, 10), 5 * MIN, () => NEAR), event(at(0, 10), 'removed')], at(0, 10, 9), []],
    // Taken off as the elder comes through the door: the home fix arrives a moment later.
    ['watch taken off arriving home', [...track(at(0, 9), at(0, 10), 5 * MIN, () => NEAR), event(at(0, 10), 'removed'), watch(at(0, 10, 1), { lat: HOME.lat, lon: HOME.lon, acc: 20, src: 'gps', worn: false })], at(0, 11), []],
    ['home fix and worn:false in one reading after a walk', [...track(at(0, 9), at(0, 10), 5 * MIN, () => NEAR), watch(at(0, 10, 1), { lat: HOME.lat, lon: HOME.lon, acc: 20, src: 'gps', worn: false })], at(0, 11), []],
    ['left home without the watch', [...track(at(0, 8), at(0, 9), 5 * MIN, () => HOME), event(at(0, 9), 'removed'), ...track(at(0, 9, 5), at(0, 10), 5 * MIN, () => NEAR)], at(0, 10), ['device.removed:orange']],
    ['watch silent 40 min while away', track(at(0, 9), at(0, 10), 5 * MIN, () => NEAR), at(0, 10, 35), ['device.removed:orange']],
    ['watch silent 20 min while away', track(at(0, 9), at(0, 10), 5 * MIN, () => NEAR), at(0, 10, 15), []],
    ['watch dies at home: offline after 2 h, never removed', track(at(0, 9), at(0, 10), 5 * MIN, () => HOME), at(0, 13), ['device.offline:green']],
    ['watch dies at home, 1 h later', track(at(0, 9), at(0, 10), 5 * MIN, () => HOME), at(0, 11), []],
    ['battery 14 %', [watch(at(0, 9), { bat: 40 }), watch(at(0, 10), { bat: 14 }), watch(at(0, 10, 5), { bat: 13 })], at(0, 10, 30), ['device.battery:green']],
    ['battery 16 %', [watch(at(0, 9), { bat: 40 }), watch(at(0, 10), { bat: 16 })], at(0, 10, 30), []],
    ['battery low, charged, low again', [watch(at(0, 9), { bat: 10 }), watch(at(0, 10), { bat: 90 }), watch(at(0, 11), { bat: 12 })], at(0, 11, 30), ['device.battery:green', 'device.battery:green']],
    ['sos', [event(at(0, 9), 'sos')], at(0, 9, 1), ['safety.sos:red']],
    ['fall from the camera', [event(at(0, 9), 'fall', 'e1', 'camera')], at(0, 9, 1), ['safety.fall:red']],
  ])('%s', (_name, inputs, end, expected) => {
    expect(deviceRules(inputs, end)).toEqual(expected)
  })

  it('SOS fires from ingest itself, before any advance (no waiting for a watermark)', () => {
    const r = ingest(initialEngineState(), [...track(at(0, 9), at(0, 10), 5 * MIN, () => NEAR), event(at(0, 10), 'sos')], ctx)
    expect(rulesOf(r.findings)).toEqual(['safety.sos:red'])
    const sos = r.findings[0]!
    expect(sos.evidence['location']).toMatchObject({ lat: NEAR.lat, lon: NEAR.lon })
    expect(sos.evidence['place']).toBe('away')
  })

  it('a buffered SOS older than the lateness bound still fires (counted as too late)', () => {
    let state = initialEngineState()
    state = ingest(state, [watch(at(1, 9), { bat: 80 })], ctx).state
    const r = ingest(state, [event(at(0, 9), 'sos')], ctx)
    expect(r.tooLate).toBe(1)
    expect(rulesOf(r.findings)).toEqual(['safety.sos:red'])
  })

  it('the camera going quiet is its own device.offline', () => {
    const inputs = [...track(at(0, 9), at(0, 12), 10 * MIN, () => HOME), camera(at(0, 9), { presence: true })]
    const f = run(inputs, ctx, at(0, 11, 30)).findings
    expect(f.map((x) => x.evidence['deviceId'])).toEqual(['c-e1'])
    expect(f[0]!.ts).toBe(at(0, 11))
  })

  it('advance twice does not repeat a finding', () => {
    let state = ingest(initialEngineState(), track(at(0, 9), at(0, 10), 5 * MIN, () => HOME), ctx).state
    const first = advance(state, at(0, 13), ctx)
    state = first.state
    expect(first.findings).toHaveLength(1)
    expect(advance(state, at(0, 14), ctx).findings).toHaveLength(0)
    expect(HOUR).toBe(3_600_000)
  })
})

describe('device.removed during a registered planned absence', () => {
  it('is not an alert: the family knows where the elder is (a weekend at a child’s home)', () => {
    const planned = makeCtx({ elders: [{ id: 'e1', tenantId: 't1', name: 'e1', home: HOME, expectedAway: [{ from: at(0, 8), to: at(1, 20) }] }] })
    const inputs = [...track(at(0, 9), at(0, 21), 5 * MIN, () => NEAR), event(at(0, 21), 'removed')]
    const found = rulesOf(run(inputs, planned, at(1, 6)).findings)
    expect(found.filter((r) => r.startsWith('device.removed'))).toEqual([])
    // Without the plan, the same day is an orange alert.
    expect(rulesOf(run(inputs, ctx, at(1, 6)).findings)).toContain('device.removed:orange')
  })
})
