import type { Queryable } from '../storage/db'
import type { ReportRange } from './report-period'
import { alertReportRows, alertReportSla, type AlertReportRow } from './report-store'

/**
 * GET /api/v1/reports/alerts (issue 6): alerts per bucket, rule, level, area and disposition,
 * their totals, and the acknowledgement SLA of the orange and red ones. The board's Reports
 * page is built against this shape — change it only together with dashboard/.
 */
export interface AlertReport extends ReportRange {
  rows: AlertReportRow[]
  totals: {
    total: number
    byRule: Record<string, number>
    byLevel: Record<string, number>
    /** Elders without an area are counted under "—". */
    byArea: Record<string, number>
    /** Alerts not yet resolved are counted under "unresolved". */
    byDisposition: Record<string, number>
  }
  sla: {
    /** The acknowledgement target: EG_ESCALATE_AFTER_MS, after which orange escalates. */
    targetMinutes: number
    /** acknowledged = withinTarget + breached; unacknowledged ones are counted apart. */
    acknowledged: number
    withinTarget: number
    breached: number
    unacknowledged: number
    medianAckMinutes: number | null
    p90AckMinutes: number | null
  }
}

export const NO_AREA = '—'
export const UNRESOLVED = 'unresolved'

function totalsOf(rows: readonly AlertReportRow[]): AlertReport['totals'] {
  const totals: AlertReport['totals'] = { total: 0, byRule: {}, byLevel: {}, byArea: {}, byDisposition: {} }
  const add = (into: Record<string, number>, key: string, n: number) => {
    into[key] = (into[key] ?? 0) + n
  }
  for (const r of rows) {
    totals.total += r.count
    add(totals.byRule, r.rule, r.count)
    add(totals.byLevel, r.level, r.count)
    add(totals.byArea, r.area ?? NO_AREA, r.count)
    add(totals.byDisposition, r.disposition ?? UNRESOLVED, r.count)
  }
  return totals
}

export async function alertReport(db: Queryable, tenantId: string, range: ReportRange, slaTargetMs: number): Promise<AlertReport> {
  const targetMinutes = slaTargetMs / 60_000
  const [rows, sla] = await Promise.all([alertReportRows(db, tenantId, range), alertReportSla(db, tenantId, range, targetMinutes)])
  return {
    ...range,
    rows,
    totals: totalsOf(rows),
    sla: {
      targetMinutes,
      acknowledged: sla.acknowledged,
      withinTarget: sla.withinTarget,
      breached: sla.acknowledged - sla.withinTarget,
      unacknowledged: sla.raised - sla.acknowledged,
      medianAckMinutes: sla.medianAckMinutes,
      p90AckMinutes: sla.p90AckMinutes,
    },
  }
}
