import type { Queryable } from '../storage/db'
import { toAlert, type Alert, type AlertRow, type Disposition } from './alert-model'

/**
 * The SQL of alert transitions by people and by the escalation clock (storage layer). The
 * rules of which transition is legal live in lifecycle.ts; these run inside its transaction.
 */

/** Locks one alert of the tenant for a transition. */
export async function lockAlert(tx: Queryable, tenantId: string, id: string): Promise<Alert | null> {
  const rows = await tx.query<AlertRow>('SELECT * FROM alerts WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id])
  return rows[0] ? toAlert(rows[0]) : null
}

async function updated(rows: Promise<AlertRow[]>): Promise<Alert> {
  const row = (await rows)[0]
  if (!row) throw new Error('alert vanished inside its own locked transaction')
  return toAlert(row)
}

/** The first acknowledgement is kept: it is when the alarm was answered (the SLA measures it). */
export function markAcknowledged(tx: Queryable, id: string, by: string): Promise<Alert> {
  return updated(
    tx.query<AlertRow>(
      `UPDATE alerts SET status = 'acknowledged', acknowledged_at = COALESCE(acknowledged_at, now()),
         acknowledged_by = COALESCE(acknowledged_by, $2), updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, by],
    ),
  )
}

export function setAssignee(tx: Queryable, id: string, userId: string): Promise<Alert> {
  return updated(tx.query<AlertRow>('UPDATE alerts SET assignee = $2, updated_at = now() WHERE id = $1 RETURNING *', [id, userId]))
}

export function markResolved(
  tx: Queryable,
  id: string,
  r: { by: string; disposition: Disposition; note: string | null; ruleAt: number },
): Promise<Alert> {
  return updated(
    tx.query<AlertRow>(
      `UPDATE alerts SET status = 'resolved', resolved_at = now(), resolved_by = $2, disposition = $3, resolution_note = $4,
         resolved_rule_at = $5, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, r.by, r.disposition, r.note, new Date(r.ruleAt)],
    ),
  )
}

/** Back to open: the resolution is cleared (the history keeps it) and the level's clock restarts. */
export function markReopened(tx: Queryable, id: string, ruleAt: number): Promise<Alert> {
  return updated(
    tx.query<AlertRow>(
      `UPDATE alerts SET status = 'open', resolved_at = NULL, resolved_by = NULL, resolved_rule_at = NULL, disposition = NULL,
         resolution_note = NULL, level_since = $2, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, new Date(ruleAt)],
    ),
  )
}

/** The alert that is open or acknowledged for the same (elder, rule), if any. */
export async function findActiveSibling(tx: Queryable, alert: Alert): Promise<string | null> {
  const rows = await tx.query<{ id: string }>(
    "SELECT id FROM alerts WHERE tenant_id = $1 AND elder_id = $2 AND rule = $3 AND status <> 'resolved' AND id <> $4",
    [alert.tenantId, alert.elderId, alert.rule, alert.id],
  )
  return rows[0]?.id ?? null
}

/** Open (unacknowledged) orange alerts whose level is older than `reachedBefore`, oldest first. */
export async function overdueOrangeAlerts(db: Queryable, reachedBefore: number, tenantId: string | undefined, limit: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM alerts WHERE status = 'open' AND level = 'orange' AND level_since <= $1 AND ($2::text IS NULL OR tenant_id = $2)
     ORDER BY level_since, id LIMIT $3`,
    [new Date(reachedBefore), tenantId ?? null, limit],
  )
  return rows.map((r) => r.id)
}

/**
 * Raises one overdue orange alert to red, re-checking every condition in the UPDATE itself so
 * an acknowledgement that commits first wins (null: nothing to escalate any more).
 */
export async function escalateToRed(tx: Queryable, id: string, reachedBefore: number, at: number): Promise<Alert | null> {
  const rows = await tx.query<AlertRow>(
    `UPDATE alerts SET level = 'red', level_since = $3, escalated_at = $3, updated_at = now()
     WHERE id = $1 AND status = 'open' AND level = 'orange' AND level_since <= $2 RETURNING *`,
    [id, new Date(reachedBefore), new Date(at)],
  )
  return rows[0] ? toAlert(rows[0]) : null
}
