import { LEVELS } from '../alert-board'
import type { AlertReport, ReportPeriod, RiskLevel } from '../types'

/**
 * Pure helpers for the Reports page: the query string, the buckets × levels grid (every day or
 * week of the range, so a quiet day shows as a row of zeros rather than a gap) and the
 * breakdowns sorted largest first.
 */
export interface ReportQuery {
  period: ReportPeriod
  /** '' lets the gateway choose (the last 7 days, or the last 8 weeks). */
  from: string
  to: string
}

export function reportQueryString(q: ReportQuery, format?: 'csv'): string {
  const params = new URLSearchParams({ period: q.period })
  if (q.from !== '') params.set('from', q.from)
  if (q.to !== '') params.set('to', q.to)
  if (format !== undefined) params.set('format', format)
  return params.toString()
}

const DAY_MS = 86_400_000
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10)
/** Monday on or before the day (1970-01-01 was a Thursday), as the gateway buckets weeks. */
const mondayOf = (day: number) => day - ((((day + 3) % 7) + 7) % 7)

/** Every bucket of the range: each day, or each Monday of a week touching the range. */
export function bucketsOf(period: ReportPeriod, from: string, to: string): string[] {
  const first = dayNumber(from)
  const last = dayNumber(to)
  if (Number.isNaN(first) || Number.isNaN(last) || last < first) return []
  const out: string[] = []
  const step = period === 'day' ? 1 : 7
  for (let d = period === 'day' ? first : mondayOf(first); d <= last && out.length < 500; d += step) out.push(dateOf(d))
  return out
}

export interface GridRow {
  bucket: string
  byLevel: Record<RiskLevel, number>
  total: number
}

export function levelGrid(report: AlertReport): GridRow[] {
  const rows = new Map<string, GridRow>()
  const row = (bucket: string) => {
    let r = rows.get(bucket)
    if (r === undefined) rows.set(bucket, (r = { bucket, byLevel: { red: 0, orange: 0, yellow: 0, green: 0 }, total: 0 }))
    return r
  }
  for (const bucket of bucketsOf(report.period, report.from, report.to)) row(bucket)
  for (const r of report.rows) {
    const g = row(r.bucket)
    g.byLevel[r.level] += r.count
    g.total += r.count
  }
  return [...rows.values()].sort((a, b) => a.bucket.localeCompare(b.bucket))
}

/** A breakdown's entries, largest first; levels keep their severity order instead. */
export function breakdown(counts: Record<string, number>, order?: readonly string[]): Array<[string, number]> {
  const entries = Object.entries(counts)
  if (order !== undefined) return order.map((k): [string, number] => [k, counts[k] ?? 0])
  return entries.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
}

export const LEVEL_ORDER: readonly string[] = LEVELS

/** The share acknowledged within target, as a whole percent; null when nothing was acknowledged. */
export function withinTargetPercent(sla: AlertReport['sla']): number | null {
  return sla.acknowledged === 0 ? null : Math.round((sla.withinTarget / sla.acknowledged) * 100)
}
