import type { Queryable } from '../storage/db'
import { toAlert, type Alert, type AlertRow, type AlertStatus } from './alert-model'
import type { RiskLevel } from '../../../contract/levels'

/**
 * Reading alerts (storage layer): lists for the board, one alert, the elders' risk levels.
 * Candidate venues are in candidates/. Writing lives beside it: findings in finding-store.ts, operator and
 * escalation transitions in lifecycle-store.ts.
 */
export { alertStatuses, dispositions, toAlert } from './alert-model'
export type { Alert, AlertChange, AlertStatus, Disposition } from './alert-model'
export { applyFindings, DEFAULT_COOLDOWN_MS, type ApplyFindingsOptions } from './finding-store'

/** Severity as a number for ORDER BY: red first. */
const SEVERITY = "CASE a.level WHEN 'red' THEN 3 WHEN 'orange' THEN 2 WHEN 'yellow' THEN 1 ELSE 0 END"

export interface AlertFilter {
  tenantId: string
  status?: AlertStatus | undefined
  level?: RiskLevel | undefined
  elderId?: string | undefined
  rule?: string | undefined
  /** A user id: alerts assigned to that user. */
  assignee?: string | undefined
  /** Police users: only alerts of elders assigned to this station, at red. */
  policeStationId?: string | undefined
  limit: number
  offset: number
}

export async function listAlerts(db: Queryable, f: AlertFilter): Promise<{ items: Alert[]; total: number }> {
  const where = ['a.tenant_id = $1']
  const params: unknown[] = [f.tenantId]
  const add = (sql: string, value: unknown) => {
    params.push(value)
    where.push(sql.replace('?', `$${params.length}`))
  }
  if (f.status) add('a.status = ?', f.status)
  if (f.level) add('a.level = ?', f.level)
  if (f.elderId) add('a.elder_id = ?', f.elderId)
  if (f.rule) add('a.rule = ?', f.rule)
  if (f.assignee) add('a.assignee = ?', f.assignee)
  if (f.policeStationId) {
    add('e.police_station_id = ?', f.policeStationId)
    where.push("a.level = 'red'")
  }
  const from = `FROM alerts a JOIN elders e ON e.id = a.elder_id WHERE ${where.join(' AND ')}`
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, params)
  const rows = await db.query<AlertRow>(
    `SELECT a.* ${from} ORDER BY ${SEVERITY} DESC, a.last_at DESC, a.id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, f.limit, f.offset],
  )
  return { items: rows.map(toAlert), total: total[0]?.n ?? 0 }
}

/** One alert; for a police user (policeStationId) only a red alert of an elder of that station. */
export async function getAlert(db: Queryable, tenantId: string, id: string, opts: { policeStationId?: string } = {}): Promise<Alert | null> {
  const rows =
    opts.policeStationId === undefined
      ? await db.query<AlertRow>('SELECT * FROM alerts WHERE tenant_id = $1 AND id = $2', [tenantId, id])
      : await db.query<AlertRow>(
          `SELECT a.* FROM alerts a JOIN elders e ON e.id = a.elder_id
           WHERE a.tenant_id = $1 AND a.id = $2 AND e.police_station_id = $3 AND a.level = 'red'`,
          [tenantId, id, opts.policeStationId],
        )
  return rows[0] ? toAlert(rows[0]) : null
}

/** The elder's risk level: the highest level of an open or acknowledged alert, else green (DESIGN §5). */
export async function elderRiskLevels(db: Queryable, tenantId: string, elderIds: readonly string[]): Promise<Map<string, RiskLevel>> {
  const result = new Map<string, RiskLevel>()
  for (const id of elderIds) result.set(id, 'green')
  if (elderIds.length === 0) return result
  const rows = await db.query<{ elder_id: string; level: RiskLevel }>(
    `SELECT a.elder_id, (array_agg(a.level ORDER BY ${SEVERITY} DESC))[1] AS level
     FROM alerts a WHERE a.tenant_id = $1 AND a.elder_id = ANY($2::text[]) AND a.status <> 'resolved' GROUP BY a.elder_id`,
    [tenantId, [...elderIds]],
  )
  for (const r of rows) result.set(r.elder_id, r.level)
  return result
}
