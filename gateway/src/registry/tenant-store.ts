import type { Queryable } from '../storage/db'
import type { Page, PageRequest, Tenant } from './types'
import { conflictOnDuplicate } from './pg-errors'

/**
 * Tenants (a county or district cloud). The one table not scoped by tenant_id, because it is
 * the list of tenants; callers restrict who may read it (bootstrap-tenant admins).
 */
const COLUMNS = 'id, name, created_at AS "createdAt"'

/** Arbitrary constant: serialises first-start bootstrap across gateway workers (postgres only). */
const BOOTSTRAP_LOCK = 4_216_020_002

/** Transaction-scoped advisory lock; released at COMMIT/ROLLBACK. Call inside db.transaction. */
export async function lockBootstrap(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK])
}

export async function insertTenant(q: Queryable, tenant: { id: string; name: string }): Promise<Tenant> {
  const rows = await q
    .query<Tenant>(`INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING ${COLUMNS}`, [tenant.id, tenant.name])
    .catch(conflictOnDuplicate(`tenant "${tenant.name}"`))
  return rows[0] as Tenant
}

export async function getTenant(q: Queryable, id: string): Promise<Tenant | null> {
  const rows = await q.query<Tenant>(`SELECT ${COLUMNS} FROM tenants WHERE id = $1`, [id])
  return rows[0] ?? null
}

export async function findTenantByName(q: Queryable, name: string): Promise<Tenant | null> {
  const rows = await q.query<Tenant>(`SELECT ${COLUMNS} FROM tenants WHERE name = $1`, [name])
  return rows[0] ?? null
}

/** The bootstrap tenant: the first one created (its admins may create further tenants). */
export async function firstTenantId(q: Queryable): Promise<string | null> {
  const rows = await q.query<{ id: string }>('SELECT id FROM tenants ORDER BY created_at, id LIMIT 1')
  return rows[0]?.id ?? null
}

export async function listTenants(q: Queryable, page: PageRequest): Promise<Page<Tenant>> {
  const [items, count] = await Promise.all([
    q.query<Tenant>(`SELECT ${COLUMNS} FROM tenants ORDER BY created_at, id LIMIT $1 OFFSET $2`, [page.limit, page.offset]),
    q.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants'),
  ])
  return { items, total: count[0]?.n ?? 0, ...page }
}
