import { describe, expect, it } from 'vitest'
import { defaultRuleConfig, parseRuleConfig } from '../../rules/src/index'
import { checkDraft, checkField, FIELDS, fieldId, RULE_ORDER, serverPath, toShown, toStored, type FieldSpec } from '../src/pages/rules-fields'

/**
 * The Rules page's client-side checks must agree with the gateway's schema (rules/src/config.ts):
 * every numeric rule parameter has a field, and around each bound both say yes or no alike.
 */
type Rules = Record<string, Record<string, unknown>>
const defaults = defaultRuleConfig.rules as unknown as Rules

function serverAccepts(spec: FieldSpec, stored: number): boolean {
  return parseRuleConfig({ rules: { [spec.rule]: { [spec.key]: stored } } }).ok
}

function defaultTexts(): Record<string, string> {
  return Object.fromEntries(FIELDS.map((s) => [fieldId(s), String(toShown(s, defaults[s.rule]?.[s.key] as number))]))
}

describe('rule fields', () => {
  it('covers every numeric parameter of every rule, in DESIGN order', () => {
    expect([...RULE_ORDER].sort()).toEqual(Object.keys(defaults).sort())
    const numeric = Object.entries(defaults).flatMap(([rule, params]) =>
      Object.entries(params)
        .filter(([, v]) => typeof v === 'number')
        .map(([key]) => `${rule}/${key}`),
    )
    expect(FIELDS.map(fieldId).sort()).toEqual(numeric.sort())
  })

  it('converts units both ways (20 min, 7 days, 95 %)', () => {
    const by = (id: string) => FIELDS.find((s) => fieldId(s) === id) as FieldSpec
    expect(toShown(by('venue.repeat/minDwellMs'), 20 * 60_000)).toBe(20)
    expect(toShown(by('venue.repeat/windowMs'), 7 * 86_400_000)).toBe(7)
    expect(toShown(by('absence.long/baselinePercentile'), 0.95)).toBe(95)
    expect(toStored(by('absence.long/baselinePercentile'), 95)).toBe(0.95)
    expect(toStored(by('device.removed/silenceMs'), 1.5)).toBe(90_000)
  })

  it('agrees with the gateway around every bound (on what the page would send)', () => {
    for (const spec of FIELDS) {
      const lo = toShown(spec, spec.min)
      const hi = spec.max === undefined ? [] : [toShown(spec, spec.max)]
      const probes = [lo, ...hi].flatMap((b) => [b - 1, b - 0.5, b, b + 0.5, b + 1])
      for (const shown of probes) {
        const text = String(shown)
        // Values that clash with another default (yellow ≥ orange …) are the cross-field checks' business.
        const client = !('problem' in checkField(spec, text))
        if (client && checkDraft({ ...defaultTexts(), [fieldId(spec)]: text }).size > 0) continue
        const server = serverAccepts(spec, toStored(spec, shown))
        expect({ field: fieldId(spec), shown, ok: client }).toEqual({ field: fieldId(spec), shown, ok: server })
      }
    }
  })

  it('finds the cross-field problems the gateway finds, on the field the gateway names', () => {
    expect(checkDraft(defaultTexts()).size).toBe(0)
    const cases: Array<[string, string, string]> = [
      ['venue.repeat/yellowVisits', '3', 'venue.repeat/yellowVisits'],
      ['venue.repeat/orangeVisits', '6', 'venue.repeat/orangeVisits'],
      ['home.strangers/orangeDays', '8', 'home.strangers/orangeDays'],
      ['absence.overnight/fromHour', '5', 'absence.overnight/fromHour'],
      ['device.battery/resetPercent', '10', 'device.battery/resetPercent'],
      ['venue.candidate/minDays', '15', 'venue.candidate/minDays'],
    ]
    for (const [id, text, flagged] of cases) {
      const problems = checkDraft({ ...defaultTexts(), [id]: text })
      expect([...problems.keys()]).toEqual([flagged])
      const spec = FIELDS.find((s) => fieldId(s) === id) as FieldSpec
      const parsed = parseRuleConfig({ rules: { [spec.rule]: { [spec.key]: toStored(spec, Number(text)) } } })
      expect(parsed.ok).toBe(false)
      if (!parsed.ok) expect(parsed.errors.map((e) => `config.${e.path}`)).toContain(serverPath(FIELDS.find((s) => fieldId(s) === flagged) as FieldSpec))
    }
  })

  it('rejects text that is not a number', () => {
    const spec = FIELDS[0] as FieldSpec
    expect(checkField(spec, '')).toEqual({ problem: { kind: 'number' } })
    expect(checkField(spec, 'abc')).toEqual({ problem: { kind: 'number' } })
  })
})
