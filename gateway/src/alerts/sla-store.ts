import type { Queryable } from '../storage/db'
import { riskLevels, type RiskLevel } from '../../../contract/levels'

/**
 * How fast alerts are answered, per level (storage layer). Social-alarm centres are held to
 * answering targets — shares of calls answered within 60 s and within 180 s (as in BS 8591)
 * — so the board reports exactly those, plus the time-to-acknowledge distribution.
 * Time to acknowledge = acknowledged_at − created_at: wall time from the alert reaching the
 * board to its first acknowledgement. Alerts are selected by created_at in [from, to).
 */
export interface LevelSla {
  level: RiskLevel
  count: number
  acknowledged: number
  /** Seconds; null when nothing at this level was acknowledged. */
  timeToAcknowledge: { p50: number | null; p90: number | null; max: number | null }
  /** Shares of all alerts at this level (unacknowledged ones count as missed); null when count is 0. */
  acknowledgedWithin60s: number | null
  acknowledgedWithin180s: number | null
}

export interface SlaReport {
  from: string
  to: string
  levels: LevelSla[]
}

interface SlaRow {
  level: RiskLevel
  n: number
  acked: number
  p50: number | null
  p90: number | null
  max: number | null
  within60: number
  within180: number
}

export async function alertSla(db: Queryable, tenantId: string, from: number, to: number): Promise<SlaReport> {
  const rows = await db.query<SlaRow>(
    `WITH t AS (
       SELECT level, acknowledged_at, EXTRACT(EPOCH FROM (acknowledged_at - created_at))::double precision AS tta
       FROM alerts WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3)
     SELECT level, count(*)::int AS n, count(acknowledged_at)::int AS acked,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tta) AS p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY tta) AS p90,
       max(tta) AS max,
       count(*) FILTER (WHERE tta <= 60)::int AS within60,
       count(*) FILTER (WHERE tta <= 180)::int AS within180
     FROM t GROUP BY level`,
    [tenantId, new Date(from), new Date(to)],
  )
  const byLevel = new Map(rows.map((r) => [r.level, r]))
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000)
  const share = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000)
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    levels: [...riskLevels].reverse().map((level) => {
      const r = byLevel.get(level)
      const n = r?.n ?? 0
      return {
        level,
        count: n,
        acknowledged: r?.acked ?? 0,
        timeToAcknowledge: { p50: round(r?.p50 ?? null), p90: round(r?.p90 ?? null), max: round(r?.max ?? null) },
        acknowledgedWithin60s: share(r?.within60 ?? 0, n),
        acknowledgedWithin180s: share(r?.within180 ?? 0, n),
      }
    }),
  }
}
