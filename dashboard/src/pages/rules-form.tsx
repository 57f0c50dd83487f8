import type { JSX } from 'preact'
import { FieldNote } from '../field-note'
import { useT, type Lang } from '../i18n'
import { translateAdmin, useAdminT } from '../i18n-admin'
import { LevelBadge } from '../levels'
import type { RuleConfigShape } from '../types'
import type { Draft } from './rules-draft'
import { shownValue } from './rules-draft'
import { FIELDS, fieldId, LEVELS, RULE_ORDER, specOf, type FieldProblem } from './rules-fields'

/** A client-side problem in words; relation problems name the other field. */
export function problemText(lang: Lang, problem: FieldProblem): string {
  switch (problem.kind) {
    case 'number':
      return translateAdmin(lang, 'p_number')
    case 'integer':
      return translateAdmin(lang, 'p_integer')
    case 'above':
    case 'atLeast':
    case 'atMost':
      return translateAdmin(lang, `p_${problem.kind}`, { n: problem.bound })
    default: {
      const other = specOf(problem.other)
      return translateAdmin(lang, `p_${problem.kind}`, { other: other === undefined ? problem.other : other[lang] })
    }
  }
}

export interface RuleGroupsProps {
  config: RuleConfigShape
  defaults: RuleConfigShape
  draft: Draft
  onDraft: (draft: Draft) => void
  /** Field id → why it is wrong (client checks first, else the gateway's message). */
  errors: ReadonlyMap<string, string>
  readOnly: boolean
}

/** Every rule as a card: on/off, then its thresholds with unit, live value and default. */
export function RuleGroups(props: RuleGroupsProps): JSX.Element {
  const { t, lang, rule } = useT()
  const { a } = useAdminT()
  const { draft, onDraft, readOnly } = props
  return (
    <div class="rule-groups">
      {RULE_ORDER.map((ruleId) => (
        <fieldset class="card rule-card" key={ruleId} data-testid="rule-card" data-rule={ruleId} disabled={readOnly}>
          <legend>
            <label class="rule-toggle">
              <input
                type="checkbox"
                checked={draft.enabled[ruleId] ?? true}
                onChange={(e) => onDraft({ ...draft, enabled: { ...draft.enabled, [ruleId]: e.currentTarget.checked } })}
              />
              <span class="rule-name">{rule(ruleId)}</span>
              <span class="muted mono">{ruleId}</span>
            </label>
          </legend>
          {FIELDS.filter((s) => s.rule === ruleId).map((spec) => {
            const id = fieldId(spec)
            const error = props.errors.get(id)
            const text = draft.texts[id] ?? ''
            const changed = text.trim() !== shownValue(props.config, spec)
            return (
              <div class={`rule-field${error === undefined ? '' : ' invalid'}${changed ? ' changed' : ''}`} key={id} data-field={id}>
                <label for={`f-${id}`}>{spec[lang]}</label>
                <span class="rule-input">
                  <input
                    id={`f-${id}`}
                    inputMode="decimal"
                    value={text}
                    readOnly={readOnly}
                    aria-invalid={error !== undefined}
                    aria-describedby={error === undefined ? undefined : `e-${id}`}
                    onInput={(e) => onDraft({ ...draft, texts: { ...draft.texts, [id]: e.currentTarget.value } })}
                  />
                  <span class="unit">{a(`unit_${spec.unit}`)}</span>
                </span>
                <span class="muted rule-default">
                  {a('rules_default')} {shownValue(props.defaults, spec)} {a(`unit_${spec.unit}`)}
                </span>
                <FieldNote id={`e-${id}`} text={error} />
              </div>
            )
          })}
          {ruleId === 'venue.candidate' && (
            <div class="rule-field" data-field="venue.candidate/level">
              <label for="f-candidate-level">{a('rules_level')}</label>
              <span class="rule-input">
                <select id="f-candidate-level" value={draft.candidateLevel} onChange={(e) => onDraft({ ...draft, candidateLevel: e.currentTarget.value })}>
                  {LEVELS.map((l) => (
                    <option value={l} key={l}>
                      {t(`level_${l}`)}
                    </option>
                  ))}
                </select>
                <LevelBadge level={draft.candidateLevel as (typeof LEVELS)[number]} />
              </span>
              <span class="muted rule-default">
                {a('rules_default')} {t(`level_${String(props.defaults.rules['venue.candidate']?.level ?? 'yellow') as (typeof LEVELS)[number]}`)}
              </span>
            </div>
          )}
        </fieldset>
      ))}
    </div>
  )
}
