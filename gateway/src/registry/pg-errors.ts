import { EgError } from '../errors'

/**
 * Maps constraint violations to catalogue errors. Both drivers (pg and PGlite) expose the
 * SQLSTATE as `code` on the thrown error.
 */
function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505'
}

/** Rethrows a unique violation as 409 CONFLICT with a message naming what clashed. */
export function conflictOnDuplicate(what: string): (err: unknown) => never {
  return (err: unknown) => {
    if (isUniqueViolation(err)) throw new EgError('CONFLICT', `${what} already exists`, { cause: err })
    throw err
  }
}

/**
 * For values unique across every tenant (usernames: login learns the tenant from them; device
 * ids: they are the MQTT client id and topic). A clash in the caller's own tenant and one in
 * another tenant get the same words, which say neither "exists" nor where: another tenant's
 * admin learns only that the value is taken, which a global unique value cannot hide.
 */
export function unavailableOnDuplicate(what: string, field: string): (err: unknown) => never {
  return (err: unknown) => {
    if (isUniqueViolation(err)) {
      throw new EgError('CONFLICT', `${what} is not available`, { cause: err, fields: [{ path: field, message: 'not available; choose another' }] })
    }
    throw err
  }
}
