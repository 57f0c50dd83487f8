import { writeCtes, type DeferredWrite } from '../storage/deferred-write'
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

/** A change-log entry not yet appended: its sequence number is given when it is (appendChanges). */
export type ChangeDraft = Omit<Change, 'seq' | 'at'>

export async function appendChange(
  tx: Queryable,
  tenantId: string,
  topic: ChangeTopic,
  entityId: string,
  payload: Record<string, unknown>,
): Promise<Change> {
  const [change] = await appendChanges(tx, [{ tenantId, topic, entityId, payload }])
  return change!
}

/**
 * Appends entries in their order, one statement per tenant: the head moves by their count and
 * they take the numbers it passed over. One round trip for all the entries of an alert change
 * (the alert, its voice prompts, its notices), appended last in its transaction — under load each
 * round trip is latency between an SOS and its voice prompt (bench:latency), and the head row,
 * locked from here to the commit, is held for the shortest time. `writes` (the prompts' and
 * notices' rows themselves, storage/deferred-write.ts) run in the first of these statements, or
 * in one of their own when there are no entries.
 */
export async function appendChanges(tx: Queryable, drafts: readonly ChangeDraft[], writes: readonly DeferredWrite[] = []): Promise<Change[]> {
  const out: Change[] = []
  let pending = writes
  for (const tenantId of new Set(drafts.map((d) => d.tenantId))) {
    const mine = drafts.filter((d) => d.tenantId === tenantId)
    const deferred = writeCtes(pending, 5)
    pending = []
    const rows = await tx.query<{ seq: number; at: Date }>(
      `WITH ${[...deferred.ctes, ''].join(', ')}head AS (
         INSERT INTO change_heads (tenant_id, seq) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET seq = change_heads.seq + $2 RETURNING seq)
       INSERT INTO change_log (tenant_id, seq, topic, entity_id, payload)
       SELECT $1, head.seq - $2 + u.ord, u.topic, u.entity_id, u.payload::jsonb
       FROM head, unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(topic, entity_id, payload, ord)
       RETURNING seq, at`,
      [tenantId, mine.length, mine.map((d) => d.topic), mine.map((d) => d.entityId), mine.map((d) => JSON.stringify(d.payload)), ...deferred.params],
    )
    // RETURNING need not keep the SELECT's order: the numbers say which entry is which.
    const sorted = [...rows].sort((x, y) => x.seq - y.seq)
    mine.forEach((d, i) => {
      const row = sorted[i]
      out.push({ ...d, seq: row?.seq ?? 0, at: (row?.at ?? new Date()).toISOString() })
    })
  }
  if (pending.length > 0) {
    const deferred = writeCtes(pending, 0)
    await tx.query(`WITH ${deferred.ctes.join(', ')} SELECT 1`, deferred.params)
  }
  return out
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
