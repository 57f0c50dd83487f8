import type { JSX } from 'preact'
import { AckButton } from '../alert-actions'
import { formatTime, useT } from '../i18n'
import { LevelBadge } from '../levels'
import { Link } from '../router'
import { alertSummary } from '../summaries'
import type { Alert } from '../types'

/** One fixed height (in rem) for every row: the virtual list places rows by arithmetic. */
export const ROW_REM = 5.2

export function AlertRow(props: {
  alert: Alert
  elderName: string | undefined
  canAct: boolean
  onResolve(): void
  onAssign(): void
}): JSX.Element {
  const { t, rule, lang } = useT()
  const a = props.alert
  const summary = alertSummary(a, lang)
  return (
    <article
      class={`alert-row level-edge-${a.level} status-${a.status}`}
      data-testid="alert-row"
      data-alert-id={a.id}
      data-level={a.level}
      data-status={a.status}
    >
      <div class="alert-level">
        <LevelBadge level={a.level} large />
      </div>
      <div class="alert-main">
        <div class="alert-title">
          <span class="rule-name">{rule(a.rule)}</span>
          <Link href={`/elders/${encodeURIComponent(a.elderId)}`} class="elder-link">
            {props.elderName ?? a.elderId}
          </Link>
          {a.count > 1 && <span class="count">×{a.count}</span>}
        </div>
        <div class="alert-sub">
          <span class={`status-chip status-${a.status}`}>{t(`status_${a.status}`)}</span>
          <span>
            {t('last')} {formatTime(lang, a.lastAt)}
          </span>
          {a.assignee ? (
            <span>
              {t('assignee')}: {a.assignee}
            </span>
          ) : null}
          {summary ? (
            <span class="summary" data-testid="alert-summary" title={a.summary}>
              {summary}
              {/* Police may not read the elder registry: the gateway's sentence carries the name. */}
              {props.elderName === undefined && a.summary && a.summary !== summary ? <span class="muted"> · {a.summary}</span> : null}
            </span>
          ) : null}
        </div>
      </div>
      {props.canAct && a.status !== 'resolved' && (
        <div class="alert-actions">
          {a.status === 'open' && <AckButton alert={a} />}
          <button type="button" data-testid="assign" onClick={props.onAssign}>
            {t('assign')}
          </button>
          <button type="button" data-testid="resolve" onClick={props.onResolve}>
            {t('resolve')}
          </button>
        </div>
      )}
      {a.status === 'resolved' && a.disposition ? <div class="alert-actions muted">{t(`disp_${a.disposition}`)}</div> : null}
    </article>
  )
}
