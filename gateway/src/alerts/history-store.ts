import type { Queryable } from '../storage/db'

/** An alert's audit trail, oldest first (storage layer): every transition, actor and time. */
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

export interface NewTransition {
  alertId: string
  /** 'rule-engine', 'escalation', or an operator's username. */
  actor: string
  action: string
  fromLevel: string | null
  toLevel: string | null
  fromStatus: string | null
  toStatus: string | null
  detail: Record<string, unknown>
}

/** The columns of a transition and their parameters (insertHistory; an alert opened in one statement, finding-store.ts). */
export const HISTORY_COLUMNS = 'alert_id, actor, action, from_level, to_level, from_status, to_status, detail'

/** HISTORY_COLUMNS' values as parameters $first … $first+7 (detail cast to jsonb). */
export function historyValuesSql(first: number): string {
  return Array.from({ length: 8 }, (_, i) => `$${first + i}${i === 7 ? '::jsonb' : ''}`).join(', ')
}

export function historyParams(t: NewTransition): unknown[] {
  return [t.alertId, t.actor, t.action, t.fromLevel, t.toLevel, t.fromStatus, t.toStatus, JSON.stringify(t.detail)]
}

export async function insertHistory(tx: Queryable, t: NewTransition): Promise<void> {
  await tx.query(`INSERT INTO alert_history (${HISTORY_COLUMNS}) VALUES (${historyValuesSql(1)})`, historyParams(t))
}

export async function loadAlertHistory(db: Queryable, tenantId: string, alertId: string): Promise<AlertTransition[]> {
  const rows = await db.query<{
    at: Date
    actor: string
    action: string
    from_level: string | null
    to_level: string | null
    from_status: string | null
    to_status: string | null
    detail: unknown
  }>(
    `SELECT h.at, h.actor, h.action, h.from_level, h.to_level, h.from_status, h.to_status, h.detail
     FROM alert_history h JOIN alerts a ON a.id = h.alert_id
     WHERE a.tenant_id = $1 AND h.alert_id = $2 ORDER BY h.id`,
    [tenantId, alertId],
  )
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
