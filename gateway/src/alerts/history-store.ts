import type { Queryable } from '../storage/db'

/** An alert's audit trail, oldest first (storage layer). */
export interface AlertTransition {
  at: string
  actor: string
  action: string
  fromLevel: string | null
  toLevel: string | null
  fromStatus: string | null
  toStatus: string | null
  detail: unknown
}

export async function loadAlertHistory(db: Queryable, alertId: string): Promise<AlertTransition[]> {
  const rows = await db.query<{
    at: Date
    actor: string
    action: string
    from_level: string | null
    to_level: string | null
    from_status: string | null
    to_status: string | null
    detail: unknown
  }>('SELECT at, actor, action, from_level, to_level, from_status, to_status, detail FROM alert_history WHERE alert_id = $1 ORDER BY id', [alertId])
  return rows.map((r) => ({
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    fromLevel: r.from_level,
    toLevel: r.to_level,
    fromStatus: r.from_status,
    toStatus: r.to_status,
    detail: r.detail,
  }))
}
