import { EgError } from '../errors'
import type { Logger } from '../logger'
import type { Db } from './db'
import { listMigrations, migrate } from './migrate'
import { MIGRATION_LOCK, MIGRATION_LOCK_SQL } from './migration-lock'
import { ensureStorageSetupTable, readStorageVariant, recordStorageVariant } from './storage-variant'
import { describeUnavailable, enableTimescale, serverSteps } from './timescale-mode'

/**
 * Converts a database set up on plain PostgreSQL to TimescaleDB, on purpose and with the
 * gateway stopped (cli/convert-timescale.ts) — never at start-up, because it rewrites every
 * telemetry row (storage-variant.ts).
 *
 * 1. The extension is created (the server must preload it).
 * 2. In one transaction under the migration lock: the objects of the applied `.plain`
 *    migrations that a `.timescale` twin replaces are dropped (PLAIN_REPLACED), their records
 *    removed, and the database recorded as TimescaleDB.
 * 3. migrate() then applies the pending `.timescale` migrations in order: 003 turns readings,
 *    device_events and command_acks into hypertables (migrate_data: the long part), 011 creates
 *    the continuous aggregate. After a crash past step 2 these are pending migrations: the next
 *    run of this command finishes the conversion (a gateway start would apply them too, but
 *    without step 4).
 * 4. The continuous aggregate is refreshed over all history: it is created WITH NO DATA and its
 *    policy only refreshes the last 3 days, so older hours — answered by the plain view until
 *    now — would otherwise vanish from the reports.
 *
 * Idempotent: running it on a converted database only repeats step 4 (cheap: nothing invalidated).
 */

/** What the `.timescale` twin of each `.plain` migration needs out of the way before it runs. */
export const PLAIN_REPLACED: Readonly<Record<string, readonly string[]>> = {
  '011_aggregates_hourly.plain': ['DROP VIEW IF EXISTS elder_activity_hourly'],
  '022_aggregates_hourly_devices.plain': ['DROP VIEW IF EXISTS elder_activity_hourly'],
}

export interface ConversionResult {
  /** False when the database was already recorded as TimescaleDB. */
  converted: boolean
  /** Migrations applied by the conversion. */
  applied: string[]
}

export async function convertToTimescale(db: Db, logger: Logger): Promise<ConversionResult> {
  if (db.kind === 'pglite') throw new EgError('CONFIG_INVALID', 'converting to TimescaleDB needs DATABASE_URL: the embedded PGlite has no TimescaleDB')
  const unavailable = await enableTimescale(db)
  if (unavailable) {
    throw new EgError('STORAGE_UNAVAILABLE', `cannot convert to TimescaleDB: ${describeUnavailable(unavailable)}: ${serverSteps(unavailable)}, then run this again`)
  }
  const converted = (await readStorageVariant(db)) !== 'timescale'
  if (converted) {
    await db.transaction(async (tx) => {
      await tx.query(MIGRATION_LOCK_SQL, [MIGRATION_LOCK])
      const plainApplied = await tx.query<{ version: string }>("SELECT version FROM schema_migrations WHERE version LIKE '%.plain' ORDER BY version")
      for (const { version } of plainApplied) {
        const statements = PLAIN_REPLACED[version]
        if (statements === undefined) {
          throw new EgError('MIGRATION_FAILED', `cannot convert: migration ${version} has no entry in PLAIN_REPLACED (storage/timescale-convert.ts)`)
        }
        for (const statement of statements) await tx.query(statement)
        await tx.query('DELETE FROM schema_migrations WHERE version = $1', [version])
      }
      await ensureStorageSetupTable(tx)
      await recordStorageVariant(tx, 'timescale', { replace: true })
    })
    const pending = listMigrations().filter((m) => m.variant === 'timescale').map((m) => m.version)
    logger.info({ pending }, 'converting to TimescaleDB: hypertables are filled from the existing rows, which takes a while on large tables')
  }
  const started = Date.now()
  const applied = await migrate(db, { timescale: true })
  // NULL: from the oldest reading. The last hour stays with real-time aggregation, as under the policy (011).
  await db.query("CALL refresh_continuous_aggregate('elder_activity_hourly', NULL, now() - interval '1 hour')")
  logger.info({ converted, applied, ms: Date.now() - started }, 'database on TimescaleDB')
  return { converted, applied }
}
