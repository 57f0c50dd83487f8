import { randomUUID } from 'node:crypto'
import type { Db } from '../storage/db'
import { EgError } from '../errors'
import { recordAudit } from './audit-store'
import { passwordWeakness } from './password-policy'
import { generatePassword, hashPassword } from './secrets'
import { findTenantByName, firstTenantId, insertTenant, lockBootstrap } from './tenant-store'
import { anyUserExists, insertUser } from './user-store'

export interface BootstrapOptions {
  tenantName: string
  /** EG_ADMIN_PASSWORD; when absent a password is generated and returned for printing once. */
  adminPassword?: string | undefined
}

export interface BootstrapResult {
  tenantId: string
  createdAdmin: boolean
  /** Only when this call created the admin with a generated password: the caller prints it once. */
  generatedPassword?: string
}

export const BOOTSTRAP_ADMIN_USERNAME = 'admin'

/**
 * DESIGN §4: "On first start with no users, user admin is created with password
 * EG_ADMIN_PASSWORD, or a generated one printed once."
 *
 * Idempotent, and safe when two workers start at once: on PostgreSQL the check and the
 * inserts run under a transaction-scoped advisory lock, so the second worker waits and then
 * sees the admin; PGlite is a single connection whose transactions are serialised anyway.
 * With users present it changes nothing and returns the bootstrap (first) tenant.
 */
export async function ensureBootstrap(db: Db, opts: BootstrapOptions): Promise<BootstrapResult> {
  // Hashing is slow (scrypt) so it happens before the lock is taken, and is wasted only on a race.
  const password = opts.adminPassword ?? generatePassword()
  const passwordHash = await hashPassword(password)
  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await lockBootstrap(tx)
    if (await anyUserExists(tx)) {
      const tenantId = (await firstTenantId(tx)) ?? (await findTenantByName(tx, opts.tenantName))?.id
      if (tenantId === undefined) throw new Error('users exist but no tenant does') // impossible: users.tenant_id is a foreign key
      return { tenantId, createdAdmin: false }
    }
    // The password policy of every new password (password-policy.ts), checked only now: on later
    // starts EG_ADMIN_PASSWORD is not used, and an older installation's value must not stop them.
    const weakness = opts.adminPassword === undefined ? null : passwordWeakness(opts.adminPassword)
    if (weakness !== null) throw new EgError('CONFIG_INVALID', `EG_ADMIN_PASSWORD=(hidden): ${weakness} — it becomes admin's password on this first start`)
    const tenant = (await findTenantByName(tx, opts.tenantName)) ?? (await insertTenant(tx, { id: randomUUID(), name: opts.tenantName }))
    const admin = await insertUser(tx, {
      id: randomUUID(),
      tenantId: tenant.id,
      username: BOOTSTRAP_ADMIN_USERNAME,
      passwordHash,
      role: 'admin',
    })
    await recordAudit(tx, { tenantId: tenant.id, actor: 'system', action: 'user.bootstrap', target: admin.id, detail: { username: admin.username } })
    const result: BootstrapResult = { tenantId: tenant.id, createdAdmin: true }
    if (opts.adminPassword === undefined) result.generatedPassword = password
    return result
  })
}
