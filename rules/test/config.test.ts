import { describe, expect, it } from 'vitest'
import { defaultRuleConfig, parseRuleConfig } from '../src/index'
import { HOME, MIN, at, makeCtx, offset, rulesOf, run, track } from './support/world'

describe('rule config', () => {
  it('defaults follow DESIGN §5', () => {
    const r = defaultRuleConfig.rules
    expect(defaultRuleConfig.latenessMs).toBe(6 * 3_600_000)
    expect(r['venue.repeat']).toMatchObject({ enabled: true, minDwellMs: 20 * MIN, yellowVisits: 2, orangeVisits: 3, redVisits: 5, redConsecutiveDays: 3 })
    expect(r['absence.long'].minMs).toBe(12 * 3_600_000)
    expect(r['absence.trip']).toMatchObject({ minMs: 36 * 3_600_000, farKm: 50, farMs: 6 * 3_600_000 })
    expect(r['home.strangers']).toMatchObject({ yellowDays: 3, orangeDays: 5, windowDays: 7 })
    expect(r['device.offline'].silenceMs).toBe(2 * 3_600_000)
    expect(r['device.battery'].lowPercent).toBe(15)
    expect(defaultRuleConfig.location.maxAccuracyM).toBe(150)
  })

  it('partial config keeps the other defaults', () => {
    const parsed = parseRuleConfig({ rules: { 'venue.repeat': { redVisits: 6 } } })
    expect(parsed.ok && parsed.config.rules['venue.repeat']).toMatchObject({ redVisits: 6, orangeVisits: 3 })
    expect(parsed.ok && parsed.config.rules['absence.long'].minMs).toBe(12 * 3_600_000)
  })

  it('rejects a yellow threshold above orange, naming both fields', () => {
    const parsed = parseRuleConfig({ rules: { 'venue.repeat': { yellowVisits: 4, orangeVisits: 3 } } })
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.errors[0]!.path).toBe('rules.venue.repeat.yellowVisits')
    expect(parsed.errors[0]!.message).toMatch(/yellowVisits \(4\).*orangeVisits \(3\)/)
  })

  it.each([
    [{ latenessMs: -1 }, 'latenessMs'],
    [{ rules: { 'home.strangers': { yellowDays: 5, orangeDays: 5 } } }, 'rules.home.strangers.yellowDays'],
    [{ rules: { 'absence.overnight': { fromHour: 5, toHour: 2 } } }, 'rules.absence.overnight.fromHour'],
    [{ rules: { 'device.battery': { lowPercent: 30, resetPercent: 20 } } }, 'rules.device.battery.resetPercent'],
    [{ location: { maxAccuracyM: 'far' } }, 'location.maxAccuracyM'],
  ])('rejects %j at %s', (raw, path) => {
    const parsed = parseRuleConfig(raw)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.errors.map((e) => e.path)).toContain(path)
  })

  it('a disabled rule does not fire', () => {
    const near = offset(HOME.lat, HOME.lon, 3000, 0)
    const inputs = [...track(at(0, 21), at(0, 22), 10 * MIN, () => HOME), ...track(at(0, 22), at(1, 2), 10 * MIN, () => near)]
    expect(rulesOf(run(inputs, makeCtx(), at(1, 2)).findings)).toContain('absence.overnight:orange')
    const off = makeCtx({ config: { rules: { 'absence.overnight': { enabled: false } } } })
    expect(rulesOf(run(inputs, off, at(1, 2)).findings)).not.toContain('absence.overnight:orange')
  })
})
