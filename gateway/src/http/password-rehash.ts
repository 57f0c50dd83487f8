import type { FastifyBaseLogger } from 'fastify'
import { hashPassword } from '../registry/secrets'
import { replacePasswordHash } from '../registry/user-store'
import type { Queryable } from '../storage/db'

/**
 * Transparent re-hash at login (registry/secrets.ts): the password was just verified against a
 * hash made under older scrypt parameters, so it is hashed again under the current ones. The
 * only moment the gateway holds the password. A failure is logged and the login goes on: the
 * old hash still verifies, and the next login tries again.
 */
export async function rehashAtLogin(
  db: Queryable,
  user: { id: string; passwordHash: string },
  password: string,
  log: FastifyBaseLogger,
): Promise<void> {
  try {
    const replaced = await replacePasswordHash(db, user.id, user.passwordHash, await hashPassword(password))
    if (replaced) log.info({ userId: user.id }, 'password re-hashed with the current scrypt parameters')
  } catch (err) {
    log.warn({ err, userId: user.id }, 'password re-hash failed; the old hash stays valid')
  }
}
