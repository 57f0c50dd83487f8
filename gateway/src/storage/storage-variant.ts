import type { Queryable } from './db'

/**
 * Which branch of the paired migrations (`NNN_*.plain.sql` / `NNN_*.timescale.sql`) a database
 * was set up with, recorded once in `storage_setup` by the first migration run.
 *
 * Sticky on purpose: a database set up plain keeps running plain when TimescaleDB appears on
 * the server later, because turning its telemetry tables into hypertables rewrites every row
 * (create_hypertable … migrate_data) — minutes to hours, under locks, for a county's readings —
 * and that must never happen as a side effect of a restart. Converting is an explicit step
 * (storage/timescale-convert.ts). The other way round is impossible: a TimescaleDB database
 * cannot run without the extension.
 */
export type StorageVariant = 'plain' | 'timescale'

export async function ensureStorageSetupTable(q: Queryable): Promise<void> {
  await q.query(`CREATE TABLE IF NOT EXISTS storage_setup (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    variant text NOT NULL CHECK (variant IN ('plain', 'timescale')),
    recorded_at timestamptz NOT NULL DEFAULT now()
  )`)
}

/** Records the variant; an existing record is kept unless `replace` (conversion only). Needs ensureStorageSetupTable. */
export async function recordStorageVariant(q: Queryable, variant: StorageVariant, opts: { replace?: boolean } = {}): Promise<void> {
  await q.query(
    `INSERT INTO storage_setup (variant) VALUES ($1)
     ON CONFLICT (only_row) DO ${opts.replace ? 'UPDATE SET variant = EXCLUDED.variant, recorded_at = now()' : 'NOTHING'}`,
    [variant],
  )
}

/**
 * The recorded variant; for a database migrated before storage_setup existed, the variant its
 * migration records imply; undefined for a database nothing was migrated into yet. Reads only.
 */
export async function readStorageVariant(q: Queryable): Promise<StorageVariant | undefined> {
  const [tables] = await q.query<{ setup: boolean; migrations: boolean }>(
    "SELECT to_regclass('storage_setup') IS NOT NULL AS setup, to_regclass('schema_migrations') IS NOT NULL AS migrations",
  )
  if (tables?.setup) {
    const [row] = await q.query<{ variant: StorageVariant }>('SELECT variant FROM storage_setup')
    if (row) return row.variant
  }
  if (!tables?.migrations) return undefined
  const versions = (await q.query<{ version: string }>('SELECT version FROM schema_migrations')).map((r) => r.version)
  if (versions.length === 0) return undefined
  if (versions.some((v) => v.endsWith('.timescale'))) return 'timescale'
  if (versions.some((v) => v.endsWith('.plain'))) return 'plain'
  // Stopped before its first variant migration (003): migrate() used to create the extension
  // before any migration exactly when it chose TimescaleDB, so the extension tells.
  const extension = await q.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
  return extension.length > 0 ? 'timescale' : 'plain'
}
