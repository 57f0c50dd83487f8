import type { RiskLevel } from '../../../contract/levels'
import type { Queryable } from '../storage/db'

/**
 * The live stream's own queries (storage layer): where an alert belongs, for the police
 * filter, and change-log pruning. Reading and appending changes is change-log-store.ts.
 */
export interface AlertPlacement {
  elderId: string
  /** The alert's current level. */
  level: RiskLevel
  /** The police station the elder is assigned to now (null: none). */
  policeStationId: string | null
}

export async function alertPlacement(db: Queryable, tenantId: string, alertId: string): Promise<AlertPlacement | null> {
  const rows = await db.query<AlertPlacement>(
    `SELECT a.elder_id AS "elderId", a.level, e.police_station_id AS "policeStationId"
       FROM alerts a JOIN elders e ON e.id = a.elder_id
      WHERE a.tenant_id = $1 AND a.id = $2`,
    [tenantId, alertId],
  )
  return rows[0] ?? null
}

/**
 * Deletes change-log rows written before `cutoff`, at most `batch` per statement, so pruning a
 * large backlog never holds long locks; returns how many went. Maintenance across tenants
 * (like telemetry retention): the head rows stay, so sequence numbers never repeat.
 */
export async function deleteChangesBefore(db: Queryable, cutoff: Date, batch: number): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH doomed AS (
       SELECT tenant_id, seq FROM change_log WHERE at < $1 ORDER BY at LIMIT $2
     ), deleted AS (
       DELETE FROM change_log c USING doomed d WHERE c.tenant_id = d.tenant_id AND c.seq = d.seq RETURNING 1
     )
     SELECT count(*)::int AS n FROM deleted`,
    [cutoff, batch],
  )
  return rows[0]?.n ?? 0
}
