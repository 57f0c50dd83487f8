import { levelRank, type RiskLevel } from '../../../contract/levels'
import type { GroundTruth } from '../scenarios/plant'

/**
 * The evaluator's scoring, pure: ground truth and the gateway's alerts in, a scorecard per
 * rule out. A planted expectation is detected when its elder has an alert of that rule at
 * or above the expected level whose firstAt lies in [planted moment, planted + within]. An
 * alert is false when its rule must stay quiet for that elder (a benign look-alike's
 * mustNot, or any non-maintenance rule on a background elder). Other alerts on scenario
 * elders (a tour also raises absence.overnight) are side effects: counted, not scored.
 */
export interface ScoredAlert {
  id?: string
  elderId: string
  rule: string
  level: RiskLevel
  /** Event ms of the alert's first finding. */
  firstAt: number
  summary?: string
}

export interface RuleScore {
  rule: string
  planted: number
  detected: number
  missed: number
  /** False alerts on benign look-alikes and scam elders' mustNot rules. */
  falseOnScenarios: number
  falseOnBackground: number
  precision: number | null
  recall: number | null
  /** Event ms from the planted moment to firstAt, per detection. */
  detectMs: number[]
  medianDetectMs: number | null
}

export interface Miss {
  scenario: string
  elderKey: string
  rule: string
  minLevel: RiskLevel
  at: number
  /** What the gateway raised for that rule instead, if anything. */
  got: ScoredAlert[]
}

export interface FalseAlert {
  scenario: string
  kind: GroundTruth['kind']
  elderKey: string
  alert: ScoredAlert
}

export interface Scorecard {
  rules: RuleScore[]
  misses: Miss[]
  falseAlerts: FalseAlert[]
  /** Alerts on scenario elders for rules neither expected nor forbidden. */
  sideEffects: FalseAlert[]
}

export const RECALL_TARGET = 0.95
export const PRECISION_TARGET = 0.9


export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Whether `rule` must stay quiet for this elder. */
export function forbidden(truth: GroundTruth, rule: string): boolean {
  if (truth.mustNot.includes(rule)) return true
  return truth.mustNot.includes('*') && !truth.allow.includes(rule) && !truth.expect.some((e) => e.rule === rule)
}

export function score(truths: readonly GroundTruth[], alerts: readonly ScoredAlert[]): Scorecard {
  const rules = new Map<string, RuleScore>()
  const ruleScore = (rule: string): RuleScore => {
    let s = rules.get(rule)
    if (!s) {
      s = { rule, planted: 0, detected: 0, missed: 0, falseOnScenarios: 0, falseOnBackground: 0, precision: null, recall: null, detectMs: [], medianDetectMs: null }
      rules.set(rule, s)
    }
    return s
  }
  const byElder = new Map<string, ScoredAlert[]>()
  for (const a of alerts) byElder.set(a.elderId, [...(byElder.get(a.elderId) ?? []), a])
  const misses: Miss[] = []
  const falseAlerts: FalseAlert[] = []
  const sideEffects: FalseAlert[] = []

  for (const truth of truths) {
    const mine = byElder.get(truth.elderId) ?? []
    for (const e of truth.expect) {
      const s = ruleScore(e.rule)
      s.planted++
      const hits = mine.filter((a) => a.rule === e.rule && levelRank(a.level) >= levelRank(e.minLevel) && a.firstAt >= e.at && a.firstAt <= e.deadline)
      if (hits.length > 0) {
        s.detected++
        s.detectMs.push(Math.min(...hits.map((a) => a.firstAt)) - e.at)
      } else {
        s.missed++
        misses.push({ scenario: truth.scenario, elderKey: truth.elderKey, rule: e.rule, minLevel: e.minLevel, at: e.at, got: mine.filter((a) => a.rule === e.rule) })
      }
    }
    for (const alert of mine) {
      if (truth.expect.some((e) => e.rule === alert.rule)) continue
      const entry = { scenario: truth.scenario, kind: truth.kind, elderKey: truth.elderKey, alert }
      if (!forbidden(truth, alert.rule)) {
        if (truth.kind !== 'background' && !truth.allow.includes(alert.rule)) sideEffects.push(entry)
        continue
      }
      const s = ruleScore(alert.rule)
      if (truth.kind === 'background') s.falseOnBackground++
      else s.falseOnScenarios++
      falseAlerts.push(entry)
    }
  }
  for (const s of rules.values()) {
    const flagged = s.detected + s.falseOnScenarios + s.falseOnBackground
    s.precision = flagged === 0 ? null : s.detected / flagged
    s.recall = s.planted === 0 ? null : s.detected / s.planted
    s.medianDetectMs = median(s.detectMs)
  }
  return { rules: [...rules.values()].sort((a, b) => a.rule.localeCompare(b.rule)), misses, falseAlerts, sideEffects }
}

/** Rules under target: recall below 0.95 where something was planted, precision below 0.90 where anything alerted. */
export function failingRules(card: Scorecard, targets = { recall: RECALL_TARGET, precision: PRECISION_TARGET }): Array<{ rule: string; reason: string }> {
  const failing: Array<{ rule: string; reason: string }> = []
  for (const s of card.rules) {
    if (s.recall !== null && s.recall < targets.recall) failing.push({ rule: s.rule, reason: `recall ${s.recall.toFixed(2)} < ${targets.recall}` })
    if (s.precision !== null && s.precision < targets.precision) failing.push({ rule: s.rule, reason: `precision ${s.precision.toFixed(2)} < ${targets.precision}` })
  }
  return failing
}
