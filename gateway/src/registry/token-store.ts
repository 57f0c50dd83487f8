import type { Queryable } from '../storage/db'
import type { Role } from './types'

/** Bearer sessions. Only sha256(token) is stored (see secrets.ts). */

export interface Session {
  userId: string
  tenantId: string
  username: string
  role: Role
  policeStationId: string | null
  expiresAt: Date
}

export async function insertToken(q: Queryable, token: { tokenHash: string; userId: string; expiresAt: Date }): Promise<void> {
  await q.query('INSERT INTO auth_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [
    token.tokenHash,
    token.userId,
    token.expiresAt,
  ])
}

/**
 * The session behind a token: unexpired, and its user not disabled. Not tenant-scoped by
 * necessity — the token is how the tenant is learnt. One indexed lookup per request.
 */
export async function findSession(q: Queryable, tokenHash: string): Promise<Session | null> {
  const rows = await q.query<Session>(
    `SELECT u.id AS "userId", u.tenant_id AS "tenantId", u.username, u.role, u.police_station_id AS "policeStationId",
            t.expires_at AS "expiresAt"
       FROM auth_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.expires_at > now() AND NOT u.disabled`,
    [tokenHash],
  )
  return rows[0] ?? null
}

export async function deleteToken(q: Queryable, tokenHash: string): Promise<void> {
  await q.query('DELETE FROM auth_tokens WHERE token_hash = $1', [tokenHash])
}

/** Ends every session of a user (password change, disabling, role change). */
export async function deleteTokensOfUser(q: Queryable, tenantId: string, userId: string): Promise<void> {
  await q.query('DELETE FROM auth_tokens WHERE user_id = (SELECT id FROM users WHERE tenant_id = $1 AND id = $2)', [tenantId, userId])
}

/** Housekeeping: expired rows are useless; called opportunistically at login. */
export async function deleteExpiredTokens(q: Queryable): Promise<number> {
  const rows = await q.query('DELETE FROM auth_tokens WHERE expires_at <= now() RETURNING 1')
  return rows.length
}
