import type { RuleConfigShape } from '../types'
import { FIELDS, fieldId, RULE_ORDER, toShown, toStored, type FieldSpec } from './rules-fields'

/**
 * The Rules page's edits: text per numeric field (as typed), each rule's on/off, and the
 * candidate-venue level. Saving sends the tenant's stored overrides plus only what changed,
 * so parameters nobody touched keep following the defaults.
 */
export interface Draft {
  texts: Record<string, string>
  enabled: Record<string, boolean>
  candidateLevel: string
}

type Params = Record<string, unknown>

function params(config: RuleConfigShape, rule: string): Params {
  return config.rules[rule] ?? {}
}

function storedNumber(config: RuleConfigShape, spec: FieldSpec): number {
  const value = params(config, spec.rule)[spec.key]
  return typeof value === 'number' ? value : Number.NaN
}

export function shownValue(config: RuleConfigShape, spec: FieldSpec): string {
  return String(toShown(spec, storedNumber(config, spec)))
}

export function draftOf(config: RuleConfigShape): Draft {
  return {
    texts: Object.fromEntries(FIELDS.map((s) => [fieldId(s), shownValue(config, s)])),
    enabled: Object.fromEntries(RULE_ORDER.map((r) => [r, params(config, r).enabled !== false])),
    candidateLevel: String(params(config, 'venue.candidate').level ?? 'yellow'),
  }
}

/** One changed value, as shown (the confirmation lists these). */
export interface Change {
  rule: string
  key: string
  spec?: FieldSpec
  from: string
  to: string
}

export function changesOf(config: RuleConfigShape, draft: Draft): Change[] {
  const out: Change[] = []
  for (const rule of RULE_ORDER) {
    const was = params(config, rule).enabled !== false
    if (draft.enabled[rule] !== was) out.push({ rule, key: 'enabled', from: String(was), to: String(draft.enabled[rule]) })
    if (rule === 'venue.candidate') {
      const level = String(params(config, rule).level ?? 'yellow')
      if (draft.candidateLevel !== level) out.push({ rule, key: 'level', from: level, to: draft.candidateLevel })
    }
    for (const spec of FIELDS.filter((s) => s.rule === rule)) {
      const before = shownValue(config, spec)
      const after = (draft.texts[fieldId(spec)] ?? '').trim()
      if (after !== before && Number(after) !== Number(before)) out.push({ rule, key: spec.key, spec, from: before, to: after })
    }
  }
  return out
}

/** The config to PUT or backtest: the stored overrides with this draft's changes on top. */
export function configToSend(stored: Record<string, unknown>, config: RuleConfigShape, draft: Draft): Record<string, unknown> {
  const next = structuredClone(stored)
  const rules = (next.rules ??= {}) as Record<string, Params>
  for (const change of changesOf(config, draft)) {
    const target = (rules[change.rule] ??= {})
    if (change.key === 'enabled') target.enabled = change.to === 'true'
    else if (change.key === 'level') target.level = change.to
    else if (change.spec !== undefined) target[change.key] = toStored(change.spec, Number(change.to))
  }
  return next
}
