import type { Queryable } from '../storage/db'

/**
 * SQL for worker leases (migration 012). Expiry is judged on the database clock (`now()`), so
 * two workers whose clocks disagree still agree on who holds a lease.
 */

/**
 * Takes every free or expired scope among `scopes` and renews the ones `holder` already has,
 * in one statement; returns the scopes `holder` holds afterwards. ON CONFLICT … WHERE makes
 * take-over atomic: of two workers racing for an expired lease, exactly one row update wins.
 */
export async function acquireLeases(db: Queryable, holder: string, scopes: readonly string[], ttlMs: number): Promise<string[]> {
  if (scopes.length === 0) return []
  const rows = await db.query<{ scope: string }>(
    `INSERT INTO worker_leases AS l (scope, holder, expires_at)
     SELECT s, $2, now() + $3::float8 * interval '1 millisecond' FROM unnest($1::text[]) AS s
     ON CONFLICT (scope) DO UPDATE SET
       holder = EXCLUDED.holder,
       expires_at = EXCLUDED.expires_at,
       acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE now() END
     WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
     RETURNING scope`,
    [scopes, holder, ttlMs],
  )
  return rows.map((r) => r.scope)
}

/** Workers announce themselves with a lease of their own, so each can tell how many are alive. */
export const workerScope = (holder: string): string => `worker:${holder}`

/** Renews `holder`'s presence and counts the live workers (itself included). */
export async function announceWorker(db: Queryable, holder: string, ttlMs: number): Promise<number> {
  await acquireLeases(db, holder, [workerScope(holder)], ttlMs)
  const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM worker_leases WHERE scope LIKE 'worker:%' AND expires_at >= now()")
  return Math.max(1, rows[0]?.n ?? 1)
}

/** The scopes among `scopes` nobody holds (never taken, given back, or expired). */
export async function freeScopes(db: Queryable, scopes: readonly string[]): Promise<string[]> {
  if (scopes.length === 0) return []
  const rows = await db.query<{ scope: string }>(
    `SELECT s AS scope FROM unnest($1::text[]) AS s
     WHERE NOT EXISTS (SELECT 1 FROM worker_leases l WHERE l.scope = s AND l.expires_at >= now())`,
    [scopes],
  )
  return rows.map((r) => r.scope)
}

/** Gives leases back at once (graceful shutdown), so another worker need not wait for the TTL. */
export async function releaseLeases(db: Queryable, holder: string, scopes: readonly string[]): Promise<void> {
  if (scopes.length === 0) return
  await db.query('DELETE FROM worker_leases WHERE holder = $1 AND scope = ANY($2::text[])', [holder, scopes])
}

/** Live leases by scope (operators' view and tests). */
export async function leaseHolders(db: Queryable): Promise<Map<string, string>> {
  const rows = await db.query<{ scope: string; holder: string }>('SELECT scope, holder FROM worker_leases WHERE expires_at >= now()')
  return new Map(rows.map((r) => [r.scope, r.holder]))
}
