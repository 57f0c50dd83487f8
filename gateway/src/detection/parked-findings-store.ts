import { randomUUID } from 'node:crypto'
import type { Queryable } from '../storage/db'

/**
 * Parked findings (storage layer; migration 014): findings the rule engine produced but the
 * database would not take as alerts, kept for an admin to retry or dismiss instead of
 * blocking every other alert behind them (detection/finding-delivery.ts).
 */
export const parkedStatuses = ['open', 'retried', 'dismissed'] as const
export type ParkedStatus = (typeof parkedStatuses)[number]

export interface ParkedFinding {
  id: string
  tenantId: string
  elderId: string | null
  rule: string
  level: string
  dedupKey: string
  /** The finding as stored: the finding itself, or `{unserialisable: true, reason, description}`. */
  finding: unknown
  errorCode: string
  errorMessage: string
  attempts: number
  firstFailedAt: string
  parkedAt: string
  status: ParkedStatus
  /** The alert a successful retry opened or updated. */
  alertId: string | null
  decidedBy: string | null
  decidedAt: string | null
}

interface ParkedRow {
  id: string
  tenant_id: string
  elder_id: string | null
  rule: string
  level: string
  dedup_key: string
  finding: unknown
  error_code: string
  error_message: string
  attempts: number
  first_failed_at: Date
  parked_at: Date
  status: ParkedStatus
  alert_id: string | null
  decided_by: string | null
  decided_at: Date | null
}

function toParked(r: ParkedRow): ParkedFinding {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    elderId: r.elder_id,
    rule: r.rule,
    level: r.level,
    dedupKey: r.dedup_key,
    finding: r.finding,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    attempts: r.attempts,
    firstFailedAt: r.first_failed_at.toISOString(),
    parkedAt: r.parked_at.toISOString(),
    status: r.status,
    alertId: r.alert_id,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at?.toISOString() ?? null,
  }
}

export interface ParkRequest {
  tenantId: string
  elderId: string | null
  rule: string
  level: string
  dedupKey: string
  /** A JSON document (already made storable by the caller). */
  document: string
  errorCode: string
  errorMessage: string
  attempts: number
  firstFailedAt: number
}

/**
 * Parks a finding, or — parked before (the engine replayed the same input after a restart) —
 * adds to the attempts and records the latest error, keeping the admin's decision if there was
 * one. `created` says whether a new open row appeared (the open count grows only then).
 */
export async function parkFinding(q: Queryable, p: ParkRequest): Promise<{ id: string; created: boolean }> {
  const rows = await q.query<{ id: string; created: boolean }>(
    `INSERT INTO parked_findings (id, tenant_id, elder_id, rule, level, dedup_key, finding, error_code, error_message, attempts, first_failed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11)
     ON CONFLICT (tenant_id, dedup_key) DO UPDATE SET error_code = EXCLUDED.error_code, error_message = EXCLUDED.error_message,
       attempts = parked_findings.attempts + EXCLUDED.attempts
     RETURNING id, (xmax = 0) AS created`,
    [randomUUID(), p.tenantId, p.elderId, p.rule, p.level, p.dedupKey, p.document, p.errorCode, p.errorMessage, p.attempts, new Date(p.firstFailedAt)],
  )
  const row = rows[0] as { id: string; created: boolean }
  return { id: row.id, created: row.created === true }
}

/** Open parked findings of every tenant: the health figure, read once at start. */
export async function countOpenParked(q: Queryable): Promise<number> {
  const rows = await q.query<{ n: number }>("SELECT count(*)::int AS n FROM parked_findings WHERE status = 'open'")
  return rows[0]?.n ?? 0
}

export async function listParked(
  q: Queryable,
  tenantId: string,
  f: { status?: ParkedStatus | undefined; limit: number; offset: number },
): Promise<{ items: ParkedFinding[]; total: number }> {
  const where = f.status === undefined ? 'tenant_id = $1' : 'tenant_id = $1 AND status = $2'
  const params: unknown[] = f.status === undefined ? [tenantId] : [tenantId, f.status]
  const total = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM parked_findings WHERE ${where}`, params)
  const rows = await q.query<ParkedRow>(
    `SELECT * FROM parked_findings WHERE ${where} ORDER BY parked_at DESC, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, f.limit, f.offset],
  )
  return { items: rows.map(toParked), total: total[0]?.n ?? 0 }
}

export async function getParked(q: Queryable, tenantId: string, id: string): Promise<ParkedFinding | null> {
  const rows = await q.query<ParkedRow>('SELECT * FROM parked_findings WHERE tenant_id = $1 AND id = $2', [tenantId, id])
  return rows[0] === undefined ? null : toParked(rows[0])
}

/**
 * Decides an open parked finding (retried with the alert it reached, or dismissed); null when
 * it was not open any more (decided meanwhile by another admin).
 */
export async function decideParked(
  q: Queryable,
  tenantId: string,
  id: string,
  decision: { status: 'retried'; alertId: string | null; actor: string } | { status: 'dismissed'; actor: string },
): Promise<ParkedFinding | null> {
  const rows = await q.query<ParkedRow>(
    `UPDATE parked_findings SET status = $3, alert_id = $4, decided_by = $5, decided_at = now()
     WHERE tenant_id = $1 AND id = $2 AND status = 'open' RETURNING *`,
    [tenantId, id, decision.status, decision.status === 'retried' ? decision.alertId : null, decision.actor],
  )
  return rows[0] === undefined ? null : toParked(rows[0])
}

/** A retry that failed again: one more attempt, and its error. */
export async function recordParkedFailure(q: Queryable, tenantId: string, id: string, error: { code: string; message: string }): Promise<void> {
  await q.query('UPDATE parked_findings SET attempts = attempts + 1, error_code = $3, error_message = $4 WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    id,
    error.code,
    error.message,
  ])
}

/** The alert a finding was applied to (applied_findings, finding-store.ts); null when it reached none. */
export async function appliedAlertId(q: Queryable, tenantId: string, dedupKey: string): Promise<string | null> {
  const rows = await q.query<{ alert_id: string | null }>('SELECT alert_id FROM applied_findings WHERE tenant_id = $1 AND dedup_key = $2', [
    tenantId,
    dedupKey,
  ])
  return rows[0]?.alert_id ?? null
}
