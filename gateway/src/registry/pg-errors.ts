import { EgError } from '../errors.js'

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
