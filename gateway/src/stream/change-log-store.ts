import type { Queryable } from '../storage/db'

/**
 * The change log behind the live stream (storage layer). Sequence numbers are per tenant and
 * in commit order: the head row is locked by the writing transaction until it commits, so a
 * reader that has seen seq N has seen every change before N (see 007_alert_delivery.sql).
 */
export type ChangeTopic = 'alert' | 'notice' | 'voice' | 'device'

export interface Change {
  seq: number
  tenantId: string
  topic: ChangeTopic
  entityId: string
  payload: Record<string, unknown>
  at: string
}

export async function appendChange(
  tx: Queryable,
  tenantId: string,
  topic: ChangeTopic,
  entityId: string,
  payload: Record<string, unknown>,
): Promise<Change> {
  // One statement, one round trip: an alert's transaction appends several entries, and every
  // round trip under load is latency between an SOS and the voice prompt (bench:latency).
  const rows = await tx.query<{ seq: number; at: Date }>(
    `WITH head AS (
       INSERT INTO change_heads (tenant_id, seq) VALUES ($1, 1)
       ON CONFLICT (tenant_id) DO UPDATE SET seq = change_heads.seq + 1 RETURNING seq)
     INSERT INTO change_log (tenant_id, seq, topic, entity_id, payload)
     SELECT $1, head.seq, $2, $3, $4::jsonb FROM head RETURNING seq, at`,
    [tenantId, topic, entityId, JSON.stringify(payload)],
  )
  const seq = rows[0]?.seq ?? 0
  return { seq, tenantId, topic, entityId, payload, at: (rows[0]?.at ?? new Date()).toISOString() }
}

export async function readChanges(db: Queryable, tenantId: string, afterSeq: number, limit: number): Promise<Change[]> {
  const rows = await db.query<{ seq: number; topic: ChangeTopic; entity_id: string; payload: Record<string, unknown>; at: Date }>(
    'SELECT seq, topic, entity_id, payload, at FROM change_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [tenantId, afterSeq, limit],
  )
  return rows.map((r) => ({ seq: r.seq, tenantId, topic: r.topic, entityId: r.entity_id, payload: r.payload, at: r.at.toISOString() }))
}

export async function latestSeq(db: Queryable, tenantId: string): Promise<number> {
  const rows = await db.query<{ seq: number }>('SELECT seq FROM change_heads WHERE tenant_id = $1', [tenantId])
  return rows[0]?.seq ?? 0
}
