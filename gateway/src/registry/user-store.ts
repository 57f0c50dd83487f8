import type { Queryable } from '../storage/db'
import type { Page, PageRequest, Role, User } from './types'
import { unavailableOnDuplicate } from './pg-errors'

const COLUMNS = `id, tenant_id AS "tenantId", username, role, police_station_id AS "policeStationId",
  display_name AS "displayName", disabled, created_at AS "createdAt"`

export interface NewUser {
  id: string
  tenantId: string
  username: string
  passwordHash: string
  role: Role
  policeStationId?: string | null | undefined
  displayName?: string | null | undefined
}

export async function insertUser(q: Queryable, user: NewUser): Promise<User> {
  const rows = await q
    .query<User>(
      `INSERT INTO users (id, tenant_id, username, password_hash, role, police_station_id, display_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [user.id, user.tenantId, user.username, user.passwordHash, user.role, user.policeStationId ?? null, user.displayName ?? null],
    )
    .catch(unavailableOnDuplicate(`username "${user.username}"`, 'username'))
  return rows[0] as User
}

/**
 * Login lookup. Not tenant-scoped: usernames are unique across tenants and the login is how
 * the tenant is learnt. The only query that returns the password hash.
 */
export async function findUserForLogin(q: Queryable, username: string): Promise<(User & { passwordHash: string }) | null> {
  const rows = await q.query<User & { passwordHash: string }>(
    `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM users WHERE username = $1`,
    [username],
  )
  return rows[0] ?? null
}

/** Any user at all (first-start check). Deliberately global: bootstrap runs before any tenant. */
export async function anyUserExists(q: Queryable): Promise<boolean> {
  const rows = await q.query('SELECT 1 FROM users LIMIT 1')
  return rows.length > 0
}

export async function getUser(q: Queryable, tenantId: string, id: string): Promise<User | null> {
  const rows = await q.query<User>(`SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, id])
  return rows[0] ?? null
}

export async function listUsers(q: Queryable, tenantId: string, page: PageRequest): Promise<Page<User>> {
  const [items, count] = await Promise.all([
    q.query<User>(`SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, [
      tenantId,
      page.limit,
      page.offset,
    ]),
    q.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE tenant_id = $1', [tenantId]),
  ])
  return { items, total: count[0]?.n ?? 0, ...page }
}

export interface UserPatch {
  role?: Role | undefined
  passwordHash?: string | undefined
  disabled?: boolean | undefined
  policeStationId?: string | null | undefined
  displayName?: string | null | undefined
}

// Column names come from this fixed map, never from the request; values are parameters.
const PATCH_COLUMNS: Record<keyof UserPatch, string> = {
  role: 'role',
  passwordHash: 'password_hash',
  disabled: 'disabled',
  policeStationId: 'police_station_id',
  displayName: 'display_name',
}

export async function updateUser(q: Queryable, tenantId: string, id: string, patch: UserPatch): Promise<User | null> {
  const sets: string[] = []
  const params: unknown[] = [tenantId, id]
  for (const key of Object.keys(PATCH_COLUMNS) as Array<keyof UserPatch>) {
    if (patch[key] === undefined) continue
    params.push(patch[key])
    sets.push(`${PATCH_COLUMNS[key]} = $${params.length}`)
  }
  if (sets.length === 0) return getUser(q, tenantId, id)
  const rows = await q.query<User>(`UPDATE users SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`, params)
  return rows[0] ?? null
}

/**
 * Replaces a password hash with a stronger one of the same password (re-hash at login), only if
 * it is still the hash that was verified: a password changed meanwhile is not put back.
 */
export async function replacePasswordHash(q: Queryable, userId: string, verifiedHash: string, newHash: string): Promise<boolean> {
  const rows = await q.query('UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2 RETURNING 1', [userId, verifiedHash, newHash])
  return rows.length > 0
}
