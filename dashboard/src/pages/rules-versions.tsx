import type { JSX } from 'preact'
import { formatTime, useT } from '../i18n'
import { useAdminT } from '../i18n-admin'
import type { RuleVersion } from '../types'
import { FIELDS, toShown } from './rules-fields'

/** The overrides a version stored, in words: "venue.repeat 黄色：到访次数 3 次". */
function overrides(config: unknown, lang: 'zh' | 'en', unit: (u: string) => string, rule: (r: string) => string): string[] {
  const rules = (config as { rules?: Record<string, Record<string, unknown>> } | null)?.rules ?? {}
  const out: string[] = []
  for (const [ruleId, params] of Object.entries(rules)) {
    for (const [key, value] of Object.entries(params)) {
      const spec = FIELDS.find((s) => s.rule === ruleId && s.key === key)
      const shown = spec !== undefined && typeof value === 'number' ? `${spec[lang]} ${toShown(spec, value)} ${unit(spec.unit)}` : `${key} ${String(value)}`
      out.push(`${rule(ruleId)}：${shown}`)
    }
  }
  return out
}

/** Every saved version, newest first (versions only grow; an old one is restored by saving it again). */
export function VersionList(props: { versions: RuleVersion[] }): JSX.Element {
  const { t, lang, rule } = useT()
  const { a } = useAdminT()
  if (props.versions.length === 0) return <p class="muted">{a('rules_unchanged')}</p>
  return (
    <table class="data-table" data-testid="rules-versions">
      <thead>
        <tr>
          <th>{a('rules_version')}</th>
          <th>{t('created')}</th>
          <th>{a('rules_by')}</th>
          <th>{a('rules_versionNote')}</th>
          <th>{a('rules_changed')}</th>
        </tr>
      </thead>
      <tbody>
        {props.versions.map((v) => {
          const list = overrides(v.config, lang, (u) => a(`unit_${u}` as 'unit_days'), rule)
          return (
            <tr key={v.version} data-version={v.version}>
              <td class="num">v{v.version}</td>
              <td>{formatTime(lang, v.createdAt)}</td>
              <td>{v.createdBy}</td>
              <td>{v.note ?? ''}</td>
              <td>{list.length === 0 ? <span class="muted">{a('rules_unchanged')}</span> : list.map((s) => <span class="why-chip" key={s}>{s}</span>)}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
