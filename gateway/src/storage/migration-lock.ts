/**
 * Arbitrary constant: serialises migrations (and the TimescaleDB set-up and conversion around
 * them) when several gateway workers start at once. Always taken transaction-scoped
 * (`pg_advisory_xact_lock`), because a pooled connection cannot promise that the unlock runs
 * on the session that took a session lock.
 */
export const MIGRATION_LOCK = 4_216_020_001

export const MIGRATION_LOCK_SQL = 'SELECT pg_advisory_xact_lock($1)'
