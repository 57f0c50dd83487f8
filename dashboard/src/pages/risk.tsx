import type { JSX } from 'preact'
import { useEffect, useMemo } from 'preact/hooks'
import { levelRank } from '../../../contract/levels'
import { riskByElder } from '../alert-board'
import { alertsStore, eldersStore, loadElders } from '../data'
import { formatTime, useT } from '../i18n'
import { LevelBadge } from '../levels'
import { Link } from '../router'
import { alertSummary } from '../summaries'
import { useStore } from '../store'
import type { RiskLevel } from '../types'

/**
 * 红橙黄绿风险管控名单: every elder with the current level (the highest unresolved alert,
 * live from the board; the API's riskLevel for elders whose alerts are not loaded), why and since when.
 */
export function RiskPage(): JSX.Element {
  const { t, rule, lang } = useT()
  const elders = useStore(eldersStore)
  const alerts = useStore(alertsStore)

  // Fresh riskLevel from the API for elders the board holds no alerts of.
  useEffect(() => void loadElders(), [])

  const rows = useMemo(() => {
    const risk = riskByElder(alerts)
    const known = new Set([...alerts.values()].map((a) => a.elderId))
    const out = [...elders.values()].map((elder) => {
      const entry = risk.get(elder.id)
      const level: RiskLevel = entry?.level ?? (known.has(elder.id) ? 'green' : (elder.riskLevel ?? 'green'))
      return { elder, level, alerts: entry?.alerts ?? [], since: entry?.since ?? null }
    })
    return out.sort((a, b) => levelRank(b.level) - levelRank(a.level) || (a.since ?? '').localeCompare(b.since ?? '') || a.elder.name.localeCompare(b.elder.name))
  }, [elders, alerts])

  if (rows.length === 0) return <p class="empty">{t('noData')}</p>
  return (
    <section class="table-page">
      <table class="data-table" data-testid="risk-table">
        <thead>
          <tr>
            <th>{t('level')}</th>
            <th>{t('elder')}</th>
            <th>{t('why')}</th>
            <th>{t('since')}</th>
            <th>{t('area')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.elder.id} data-level={row.level} data-testid="risk-row">
              <td>
                <LevelBadge level={row.level} />
              </td>
              <td class="strong">
                <Link href={`/elders/${encodeURIComponent(row.elder.id)}`}>{row.elder.name}</Link>
              </td>
              <td>
                {row.alerts.length === 0
                  ? t('none')
                  : row.alerts.map((a) => (
                      <span class={`why-chip level-edge-${a.level}`} key={a.id} title={alertSummary(a, lang)}>
                        {rule(a.rule)}
                        {a.count > 1 ? ` ×${a.count}` : ''}
                      </span>
                    ))}
                {row.alerts[0] !== undefined && (
                  <div class="why-line" data-testid="risk-why">
                    {alertSummary(row.alerts[0], lang)}
                  </div>
                )}
              </td>
              <td>{row.since === null ? '—' : formatTime(lang, row.since)}</td>
              <td>{row.elder.area ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
