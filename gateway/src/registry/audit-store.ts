import type { Queryable } from '../storage/db'
import type { Page, PageRequest } from './types'

/**
 * The audit trail: who did what to which record. Callers pass `detail` already stripped of
 * secrets and passwords (the routes build it from an allow-list of fields).
 */
export interface AuditEntry {
  tenantId: string | null
  /** Username of the acting user, or `system` for the gateway itself. */
  actor: string
  /** `<thing>.<verb>`, e.g. `elder.create`, `device.rotate_secret`. */
  action: string
  target?: string | null | undefined
  detail?: Record<string, unknown> | null | undefined
}

export interface AuditRecord extends AuditEntry {
  id: number
  at: Date
  /** Read back, both columns are there: null when not given. */
  target: string | null
  detail: Record<string, unknown> | null
}

export async function recordAudit(q: Queryable, entry: AuditEntry): Promise<void> {
  await q.query('INSERT INTO audit_log (tenant_id, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5::jsonb)', [
    entry.tenantId,
    entry.actor,
    entry.action,
    entry.target ?? null,
    entry.detail == null ? null : JSON.stringify(entry.detail),
  ])
}

export async function listAudit(q: Queryable, tenantId: string, page: PageRequest, filter: { target?: string | undefined } = {}): Promise<Page<AuditRecord>> {
  const where = filter.target === undefined ? 'tenant_id = $1' : 'tenant_id = $1 AND target = $4'
  const params: unknown[] = [tenantId, page.limit, page.offset]
  if (filter.target !== undefined) params.push(filter.target)
  const [items, count] = await Promise.all([
    q.query<AuditRecord>(
      `SELECT id, tenant_id AS "tenantId", actor, action, target, detail, at FROM audit_log
        WHERE ${where} ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3`,
      params,
    ),
    q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE ${where.replace('$4', '$2')}`,
      filter.target === undefined ? [tenantId] : [tenantId, filter.target],
    ),
  ])
  return { items, total: count[0]?.n ?? 0, ...page }
}
