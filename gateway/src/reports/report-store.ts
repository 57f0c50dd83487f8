import type { Disposition } from '../alerts/alert-model'
import type { RiskLevel } from '../../../contract/levels'
import type { Queryable } from '../storage/db'
import type { ReportPeriod, ReportRange } from './report-period'

/**
 * Alert report queries (storage layer, issue 6). Both run on PostgreSQL and PGlite: the local
 * dates become instants inside the database (`date::timestamp AT TIME ZONE tz`), so a day is
 * the zone's real day, and alerts are bucketed by their first_at (when the risk was raised).
 */
export interface AlertReportRow {
  /** 'YYYY-MM-DD': the local day, or the Monday of the ISO week. */
  bucket: string
  rule: string
  level: RiskLevel
  area: string | null
  disposition: Disposition | null
  count: number
}

export interface SlaFigures {
  raised: number
  acknowledged: number
  withinTarget: number
  medianAckMinutes: number | null
  p90AckMinutes: number | null
}

// Parameters shared by both queries: $1 tenant, $2 first local date, $3 last local date
// (inclusive), $4 IANA time zone.
const IN_RANGE = `a.tenant_id = $1
  AND a.first_at >= ($2::date)::timestamp AT TIME ZONE $4
  AND a.first_at < ($3::date + 1)::timestamp AT TIME ZONE $4`

// Chosen from the validated period, never from raw input. date_trunc('week') starts on Monday.
const BUCKET: Record<ReportPeriod, string> = {
  day: `(a.first_at AT TIME ZONE $4)::date`,
  week: `date_trunc('week', a.first_at AT TIME ZONE $4)::date`,
}

const rangeParams = (tenantId: string, r: ReportRange) => [tenantId, r.from, r.to, r.timeZone]

export async function alertReportRows(db: Queryable, tenantId: string, range: ReportRange): Promise<AlertReportRow[]> {
  return db.query<AlertReportRow>(
    `SELECT to_char(${BUCKET[range.period]}, 'YYYY-MM-DD') AS bucket, a.rule, a.level, e.area, a.disposition, count(*)::int AS count
     FROM alerts a LEFT JOIN elders e ON e.id = a.elder_id
     WHERE ${IN_RANGE}
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 1, 2, 3, 4 NULLS FIRST, 5 NULLS FIRST`,
    rangeParams(tenantId, range),
  )
}

/**
 * Acknowledgement figures for the orange and red alerts raised in the range. Time to
 * acknowledge is acknowledged_at − created_at, the wall time from reaching the board — as in
 * alerts/sla-store.ts, whose per-level 60 s/180 s report selects by created_at instead.
 */
export async function alertReportSla(db: Queryable, tenantId: string, range: ReportRange, targetMinutes: number): Promise<SlaFigures> {
  const [row] = await db.query<{ raised: number; acknowledged: number; within: number; p50: number | null; p90: number | null }>(
    `WITH t AS (
       SELECT a.acknowledged_at, EXTRACT(EPOCH FROM (a.acknowledged_at - a.created_at))::double precision / 60 AS tta
       FROM alerts a WHERE ${IN_RANGE} AND a.level IN ('orange', 'red'))
     SELECT count(*)::int AS raised, count(acknowledged_at)::int AS acknowledged,
       count(*) FILTER (WHERE tta <= $5)::int AS within,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tta) AS p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY tta) AS p90
     FROM t`,
    [...rangeParams(tenantId, range), targetMinutes],
  )
  const round = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * 100) / 100)
  return {
    raised: row?.raised ?? 0,
    acknowledged: row?.acknowledged ?? 0,
    withinTarget: row?.within ?? 0,
    medianAckMinutes: round(row?.p50),
    p90AckMinutes: round(row?.p90),
  }
}
