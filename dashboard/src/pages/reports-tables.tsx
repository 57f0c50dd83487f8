import type { JSX } from 'preact'
import { LEVELS } from '../alert-board'
import { useT } from '../i18n'
import { LevelBadge } from '../levels'
import type { AlertReport } from '../types'
import { breakdown, withinTargetPercent, type GridRow } from './reports-model'

/** The Reports page's tables: buckets × levels, the breakdowns with inline bars, SLA tiles. */
export function LevelGrid(props: { rows: GridRow[]; period: AlertReport['period'] }): JSX.Element {
  const { t } = useT()
  return (
    <table class="data-table report-grid" data-testid="report-grid">
      <thead>
        <tr>
          <th>{t(props.period === 'day' ? 'report_bucket_day' : 'report_bucket_week')}</th>
          {LEVELS.map((level) => (
            <th class="num" key={level}>
              <LevelBadge level={level} />
            </th>
          ))}
          <th class="num">{t('report_total')}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={row.bucket} data-bucket={row.bucket} data-testid="report-bucket">
            <td class="mono">{row.bucket}</td>
            {LEVELS.map((level) => (
              <td key={level} class={`num level-cell${row.byLevel[level] > 0 ? ` level-cell-${level}` : ''}`} data-level={level}>
                {row.byLevel[level]}
              </td>
            ))}
            <td class="num strong" data-testid="bucket-total">
              {row.total}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function Breakdown(props: {
  title: string
  counts: Record<string, number>
  label(key: string): string
  order?: readonly string[]
  testId: string
}): JSX.Element {
  const entries = breakdown(props.counts, props.order)
  const max = Math.max(1, ...entries.map(([, n]) => n))
  return (
    <section class="card report-breakdown">
      <h3>{props.title}</h3>
      <table class="data-table" data-testid={props.testId}>
        <tbody>
          {entries.map(([key, n]) => (
            <tr key={key} data-key={key}>
              <td>{props.label(key)}</td>
              <td class="num strong" data-testid="breakdown-count">
                {n}
              </td>
              <td class="bar-cell">
                <span class={`bar${props.order !== undefined ? ` level-${key}` : ''}`} style={{ width: `${(n / max) * 100}%` }} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

export function SlaTiles(props: { sla: AlertReport['sla'] }): JSX.Element {
  const { t } = useT()
  const { sla } = props
  const pct = withinTargetPercent(sla)
  // Sub-minute acknowledgements read better in seconds (0.03 min is 2 s).
  const minutes = (v: number | null) => (v === null ? '—' : v < 1 ? `${Math.round(v * 60)} ${t('report_seconds')}` : `${v} ${t('report_minutes')}`)
  const tiles: Array<{ id: string; label: string; value: string; warn?: boolean }> = [
    { id: 'within', label: t('report_sla_within'), value: pct === null ? '—' : `${pct}%` },
    { id: 'median', label: t('report_sla_median'), value: minutes(sla.medianAckMinutes) },
    { id: 'p90', label: t('report_sla_p90'), value: minutes(sla.p90AckMinutes) },
    { id: 'breached', label: t('report_sla_breached'), value: String(sla.breached), warn: sla.breached > 0 },
    { id: 'unacked', label: t('report_sla_unacked'), value: String(sla.unacknowledged), warn: sla.unacknowledged > 0 },
  ]
  return (
    <section class="card">
      <h3>
        {t('report_sla')} <span class="muted">· {t('report_sla_target')} {sla.targetMinutes} {t('report_minutes')}</span>
      </h3>
      <div class="sla-tiles">
        {tiles.map((tile) => (
          <div class={`sla-tile${tile.warn === true ? ' warn' : ''}`} key={tile.id} data-testid={`sla-${tile.id}`}>
            <div class="sla-value">{tile.value}</div>
            <div class="muted">{tile.label}</div>
          </div>
        ))}
      </div>
    </section>
  )
}
