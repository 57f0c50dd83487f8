/**
 * The rule parameters the Rules page edits, with the ranges of rules/src/config.ts (the
 * gateway checks again and answers 400 with the failing fields; this table only lets the
 * operator see a mistake before saving). Values are shown in the unit people think in —
 * minutes, hours, days, metres, % — and stored as the config's own numbers (ms, ratios).
 * Pure data and arithmetic: dashboard/test/rules-fields.test.ts holds it against the real schema.
 */
import { RULE_IDS } from '../../../rules/src/types'

/** How a stored number is shown: `factor` stored units per shown unit. */
export type Unit = 'minutes' | 'hours' | 'days' | 'metres' | 'km' | 'percent' | 'ratioPercent' | 'times' | 'dayCount' | 'hourOfDay' | 'factor'

const FACTOR: Record<Unit, number> = {
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
  metres: 1,
  km: 1,
  percent: 1,
  ratioPercent: 0.01,
  times: 1,
  dayCount: 1,
  hourOfDay: 1,
  factor: 1,
}

/** Milliseconds are whole numbers in the config; a shown 1.5 minutes is 90 000 ms. */
const MS_UNITS = new Set<Unit>(['minutes', 'hours', 'days'])

export interface FieldSpec {
  rule: string
  key: string
  unit: Unit
  /** Stored-unit bounds, as the schema has them. */
  min: number
  /** true: the value must be above `min` (zod `.positive()`, `.gt()`). */
  minExclusive: boolean
  max?: number
  /** Whole numbers only (counts, hours of the day; ms after conversion). */
  int: boolean
  zh: string
  en: string
}

type Kind = 'ms' | 'positiveMs' | 'count' | 'positive' | 'nonNegative'
const KIND: Record<Kind, Pick<FieldSpec, 'min' | 'minExclusive' | 'int'>> = {
  ms: { min: 0, minExclusive: false, int: true },
  positiveMs: { min: 0, minExclusive: true, int: true },
  count: { min: 0, minExclusive: true, int: true },
  positive: { min: 0, minExclusive: true, int: false },
  nonNegative: { min: 0, minExclusive: false, int: false },
}

function f(rule: string, key: string, unit: Unit, kind: Kind, zh: string, en: string, extra: Partial<FieldSpec> = {}): FieldSpec {
  return { rule, key, unit, ...KIND[kind], zh, en, ...extra }
}

export const FIELDS: readonly FieldSpec[] = [
  f('venue.repeat', 'minDwellMs', 'minutes', 'ms', '计为一次到访的最短停留', 'Shortest stay that counts as a visit'),
  f('venue.repeat', 'windowMs', 'days', 'positiveMs', '统计窗口', 'Counting window'),
  f('venue.repeat', 'yellowVisits', 'times', 'count', '黄色：到访次数', 'Yellow: visits'),
  f('venue.repeat', 'orangeVisits', 'times', 'count', '橙色：到访次数', 'Orange: visits'),
  f('venue.repeat', 'redVisits', 'times', 'count', '红色：到访次数', 'Red: visits'),
  f('venue.repeat', 'redConsecutiveDays', 'dayCount', 'count', '红色：连续到访天数', 'Red: consecutive days'),
  f('absence.long', 'minMs', 'hours', 'positiveMs', '最短离家时长', 'Shortest absence'),
  f('absence.long', 'baselineFactor', 'factor', 'positive', '超过个人习惯的倍数', 'Times the personal baseline'),
  f('absence.long', 'baselinePercentile', 'ratioPercent', 'positive', '个人习惯取百分位', 'Baseline percentile', { max: 1 }),
  f('absence.long', 'baselineWindowMs', 'days', 'positiveMs', '个人习惯统计期', 'Baseline period'),
  f('absence.overnight', 'fromHour', 'hourOfDay', 'ms', '夜间开始（时）', 'Night starts (hour)', { max: 23 }),
  f('absence.overnight', 'toHour', 'hourOfDay', 'count', '夜间结束（时）', 'Night ends (hour)', { min: 1, minExclusive: false, max: 24 }),
  f('absence.trip', 'minMs', 'hours', 'positiveMs', '最短外出时长', 'Shortest trip'),
  f('absence.trip', 'farKm', 'km', 'positive', '远离家的距离', 'Distance from home'),
  f('absence.trip', 'farMs', 'hours', 'positiveMs', '在远处停留', 'Time spent far away'),
  f('home.strangers', 'windowDays', 'dayCount', 'count', '统计窗口', 'Counting window'),
  f('home.strangers', 'yellowDays', 'dayCount', 'count', '黄色：有陌生人的天数', 'Yellow: days with strangers'),
  f('home.strangers', 'orangeDays', 'dayCount', 'count', '橙色：有陌生人的天数', 'Orange: days with strangers'),
  f('device.removed', 'silenceMs', 'minutes', 'positiveMs', '摘下后无数据时长', 'Silence after removal'),
  f('device.removed', 'removedGraceMs', 'minutes', 'ms', '到家宽限', 'Grace for coming home'),
  f('money.bank_after_venue', 'windowMs', 'hours', 'positiveMs', '讲座后的时间窗', 'Window after the venues'),
  f('money.bank_after_venue', 'minRiskyVisits', 'times', 'count', '高风险场所到访次数', 'Risky-venue visits'),
  f('money.bank_after_venue', 'bankMinDwellMs', 'minutes', 'ms', '银行最短停留', 'Shortest bank stay'),
  f('venue.candidate', 'minElders', 'times', 'count', '最少老人数', 'Fewest elders'),
  f('venue.candidate', 'minDwellMs', 'minutes', 'ms', '最短停留', 'Shortest stay'),
  f('venue.candidate', 'radiusM', 'metres', 'positive', '场所半径', 'Venue radius'),
  f('venue.candidate', 'stayRadiusM', 'metres', 'positive', '停留判定半径', 'Stay radius'),
  f('venue.candidate', 'minDays', 'dayCount', 'count', '最少出现天数', 'Fewest days'),
  f('venue.candidate', 'windowDays', 'dayCount', 'count', '统计窗口', 'Counting window'),
  f('device.battery', 'lowPercent', 'percent', 'nonNegative', '低电量阈值', 'Low at', { max: 100 }),
  f('device.battery', 'resetPercent', 'percent', 'nonNegative', '充电到此恢复', 'Recovered at', { max: 100 }),
  f('device.offline', 'silenceMs', 'hours', 'positiveMs', '无数据多久算离线', 'Silence before offline'),
]

/** Rules in DESIGN §5 order, each with its fields (SOS and fall only switch on and off). */
export const RULE_ORDER: readonly string[] = RULE_IDS

export { riskLevels as LEVELS } from '../../../contract/levels'

export function fieldId(spec: Pick<FieldSpec, 'rule' | 'key'>): string {
  return `${spec.rule}/${spec.key}`
}

/** The path the gateway names in a 400 (`config.rules.venue.repeat.yellowVisits`). */
export function serverPath(spec: Pick<FieldSpec, 'rule' | 'key'>): string {
  return `config.rules.${spec.rule}.${spec.key}`
}

export function toShown(spec: FieldSpec, stored: number): number {
  // Rounded to what a person types: 0.95 → 95 %, 1 200 000 ms → 20 minutes.
  return Number((stored / FACTOR[spec.unit]).toPrecision(12))
}

export function toStored(spec: FieldSpec, shown: number): number {
  const value = shown * FACTOR[spec.unit]
  return MS_UNITS.has(spec.unit) ? Math.round(value) : Number(value.toPrecision(12))
}

/** Why one field is wrong, as a message key and its numbers; null when it is fine. */
export type FieldProblem =
  | { kind: 'number' }
  | { kind: 'integer' }
  | { kind: 'above'; bound: number }
  | { kind: 'atLeast'; bound: number }
  | { kind: 'atMost'; bound: number }
  | { kind: 'below'; other: string }
  | { kind: 'notAbove'; other: string }
  | { kind: 'notBelow'; other: string }

/** Checks a typed value (text from the input) against the field's range; returns the stored value. */
export function checkField(spec: FieldSpec, text: string): { value: number } | { problem: FieldProblem } {
  const trimmed = text.trim()
  const shown = trimmed === '' ? Number.NaN : Number(trimmed)
  if (!Number.isFinite(shown)) return { problem: { kind: 'number' } }
  const value = toStored(spec, shown)
  if (spec.int && !Number.isInteger(value)) return { problem: { kind: 'integer' } }
  if (spec.minExclusive && value <= spec.min) return { problem: { kind: 'above', bound: toShown(spec, spec.min) } }
  if (!spec.minExclusive && value < spec.min) return { problem: { kind: 'atLeast', bound: toShown(spec, spec.min) } }
  if (spec.max !== undefined && value > spec.max) return { problem: { kind: 'atMost', bound: toShown(spec, spec.max) } }
  return { value }
}

/** Checks between fields (rules/src/config.ts checkMeaning): [field id, problem, other field id]. */
type Relation = 'below' | 'notAbove' | 'notBelow'
const RELATIONS: Array<[string, Relation, string]> = [
  ['venue.repeat/yellowVisits', 'below', 'venue.repeat/orangeVisits'],
  ['venue.repeat/orangeVisits', 'notAbove', 'venue.repeat/redVisits'],
  ['home.strangers/yellowDays', 'below', 'home.strangers/orangeDays'],
  ['home.strangers/orangeDays', 'notAbove', 'home.strangers/windowDays'],
  ['absence.overnight/fromHour', 'below', 'absence.overnight/toHour'],
  ['device.battery/resetPercent', 'notBelow', 'device.battery/lowPercent'],
  ['venue.candidate/minDays', 'notAbove', 'venue.candidate/windowDays'],
]

/** Every problem in a draft of stored values (by field id); the draft is valid when empty. */
export function checkDraft(texts: Readonly<Record<string, string>>): Map<string, FieldProblem> {
  const problems = new Map<string, FieldProblem>()
  const values = new Map<string, number>()
  for (const spec of FIELDS) {
    const checked = checkField(spec, texts[fieldId(spec)] ?? '')
    if ('problem' in checked) problems.set(fieldId(spec), checked.problem)
    else values.set(fieldId(spec), checked.value)
  }
  for (const [id, relation, other] of RELATIONS) {
    const a = values.get(id)
    const b = values.get(other)
    if (a === undefined || b === undefined || problems.has(id)) continue
    const broken = relation === 'below' ? a >= b : relation === 'notAbove' ? a > b : a < b
    if (broken) problems.set(id, { kind: relation, other })
  }
  return problems
}

export function specOf(id: string): FieldSpec | undefined {
  return FIELDS.find((s) => fieldId(s) === id)
}
