import type { JSX } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { DISPOSITIONS, type AlertReport, type ReportPeriod } from '../types'
import { useT, type MessageKey } from '../i18n'
import { loadSession, sessionStore } from '../session'
import { useStore } from '../store'
import { toast } from '../toast'
import { LEVEL_ORDER, levelGrid, reportQueryString, type ReportQuery } from './reports-model'
import { Breakdown, LevelGrid, SlaTiles } from './reports-tables'

/**
 * 报表: alerts per day or week and level, breakdowns by rule, level, area and disposition, the
 * acknowledgement SLA, and a CSV export for spreadsheets. Staff only: police see red alerts of
 * their own station, never the tenant's figures (the gateway refuses them too).
 */
export function ReportsPage(): JSX.Element {
  const { t } = useT()
  const session = useStore(sessionStore)
  if (session?.user.role === 'police') {
    return (
      <p class="empty" data-testid="no-permission">
        {t('noPermission')}
      </p>
    )
  }
  return <StaffReports />
}

function StaffReports(): JSX.Element {
  const { t, rule } = useT()
  const [query, setQuery] = useState<ReportQuery>({ period: 'day', from: '', to: '' })
  const [report, setReport] = useState<AlertReport | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [exporting, setExporting] = useState(false)

  useEffect(() => {
    let current = true
    setError(null)
    api<AlertReport>('GET', `/reports/alerts?${reportQueryString(query)}`).then(
      (answer) => {
        if (current) setReport(answer)
      },
      (err: unknown) => current && setError(err instanceof ApiError && err.fields.length > 0 ? err.fields.map((f) => f.message).join('; ') : t('loadFailed')),
    )
    return () => {
      current = false
    }
  }, [query.period, query.from, query.to])

  // An empty date asks the gateway for its default range; the inputs then show what it chose.
  const shown = { period: query.period, from: query.from || (report?.from ?? ''), to: query.to || (report?.to ?? '') }
  const grid = useMemo(() => (report === null ? [] : levelGrid(report)), [report])

  const exportCsv = async () => {
    setExporting(true)
    try {
      await downloadCsv(reportQueryString(shown, 'csv'), `eldergate-alerts-${shown.period}-${shown.from}-${shown.to}.csv`)
    } catch {
      toast(t('loadFailed'), 'error')
    } finally {
      setExporting(false)
    }
  }

  const dispositionLabel = (key: string) =>
    (DISPOSITIONS as readonly string[]).includes(key) ? t(`disp_${key}` as MessageKey) : key === 'unresolved' ? t('report_unresolved') : key

  return (
    <section class="reports-page" data-testid="reports-page">
      <div class="filters" role="toolbar">
        <div class="segmented" role="group">
          {(['day', 'week'] as const satisfies readonly ReportPeriod[]).map((period) => (
            <button
              type="button"
              key={period}
              class={query.period === period ? 'primary' : ''}
              aria-pressed={query.period === period}
              data-testid={`period-${period}`}
              onClick={() => setQuery({ period, from: '', to: '' })}
            >
              {t(period === 'day' ? 'report_day' : 'report_week')}
            </button>
          ))}
        </div>
        <label>
          {t('report_from')}
          <input type="date" value={shown.from} data-testid="report-from" onChange={(e) => setQuery({ ...shown, from: e.currentTarget.value })} />
        </label>
        <label>
          {t('report_to')}
          <input type="date" value={shown.to} data-testid="report-to" onChange={(e) => setQuery({ ...shown, to: e.currentTarget.value })} />
        </label>
        {report !== null && (
          <span class="muted">
            {t('report_time_zone')} {report.timeZone} · {t('report_total')} <strong data-testid="report-total">{report.totals.total}</strong>
          </span>
        )}
        <button type="button" class="primary shown" data-testid="report-export" disabled={exporting || report === null} onClick={() => void exportCsv()}>
          {t('report_export')}
        </button>
      </div>
      {error !== null && (
        <div class="banner banner-lost" role="alert">
          {error}
        </div>
      )}
      {report !== null && (
        <div class="report-grid-layout">
          <section class="card">
            <LevelGrid rows={grid} period={report.period} />
          </section>
          <SlaTiles sla={report.sla} />
          <div class="report-breakdowns">
            <Breakdown title={t('report_by_rule')} counts={report.totals.byRule} label={rule} testId="by-rule" />
            <Breakdown title={t('report_by_level')} counts={report.totals.byLevel} order={LEVEL_ORDER} label={(l) => t(`level_${l}` as MessageKey)} testId="by-level" />
            <Breakdown title={t('report_by_area')} counts={report.totals.byArea} label={(a) => (a === '—' ? t('report_no_area') : a)} testId="by-area" />
            <Breakdown title={t('report_by_disposition')} counts={report.totals.byDisposition} label={dispositionLabel} testId="by-disposition" />
          </div>
        </div>
      )}
    </section>
  )
}

/**
 * The CSV comes from the same route with `format=csv` as an attachment; a plain link cannot
 * carry the bearer token, so it is fetched and handed to the browser as a Blob download.
 */
async function downloadCsv(query: string, fallbackName: string): Promise<void> {
  const token = loadSession()?.token
  const res = await fetch(`/api/v1/reports/alerts?${query}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText)
  const named = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1]
  const url = URL.createObjectURL(await res.blob())
  const link = document.createElement('a')
  link.href = url
  link.download = named ?? fallbackName
  document.body.append(link)
  link.click()
  link.remove()
  // The download has taken its copy once click() returns; the object URL can go on the next tick.
  setTimeout(() => URL.revokeObjectURL(url), 0)
}
