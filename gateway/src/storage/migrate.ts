import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { EgError } from '../errors'
import { createLogger, type Logger } from '../logger'
import type { Db } from './db'
import { MIGRATION_LOCK, MIGRATION_LOCK_SQL } from './migration-lock'
import { ensureStorageSetupTable, readStorageVariant, recordStorageVariant } from './storage-variant'
import { resolveTimescale } from './timescale-mode'

export { resolveTimescale, type TimescaleMode } from './timescale-mode'

/**
 * Plain numbered SQL migrations (DESIGN §6), applied in order at start.
 * `NNN_name.sql` runs everywhere; `NNN_name.timescale.sql` only when the timescaledb
 * extension is available and `NNN_name.plain.sql` only when it is not — so TimescaleDB
 * gets hypertables, compression and continuous aggregates while PostgreSQL and PGlite get
 * plain tables and views from the same numbered sequence. Which branch a database takes is
 * decided once, by EG_TIMESCALE (timescale-mode.ts), and recorded (storage-variant.ts).
 */
// In the production bundle import.meta.url is dist/gateway/main.js: the build copies the
// migrations to dist/gateway/migrations (scripts/build.mjs).
export const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url))

/** Timescale continuous aggregates cannot be created inside a transaction block. */
const NO_TRANSACTION_MARK = '-- eg:no-transaction'

export interface Migration {
  version: string
  file: string
  variant: 'all' | 'timescale' | 'plain'
}

export function listMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+(\.timescale|\.plain)?\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: file.replace(/\.sql$/, ''),
      file,
      variant: file.endsWith('.timescale.sql') ? 'timescale' : file.endsWith('.plain.sql') ? 'plain' : 'all',
    }))
}

/**
 * EG_TIMESCALE=auto for callers without a configuration (backtest CLI, benches): true when this
 * database takes the Timescale branch — the extension is created then. Merely being offered is
 * not enough: a server that does not preload the extension cannot create it.
 */
export async function detectTimescale(db: Db, logger: Logger = createLogger('silent')): Promise<boolean> {
  return resolveTimescale(db, 'auto', logger)
}

export async function migrate(db: Db, opts: { timescale: boolean; dir?: string }): Promise<string[]> {
  const applied: string[] = []
  const lock = db.kind === 'postgres' ? MIGRATION_LOCK_SQL : null
  const variant = opts.timescale ? 'timescale' : 'plain'
  let current = ''
  try {
    await db.transaction(async (tx) => {
      if (lock) await tx.query(lock, [MIGRATION_LOCK])
      const recorded = await readStorageVariant(tx)
      if (recorded !== undefined && recorded !== variant) {
        // Never switch branches in passing (storage-variant.ts): timescale-convert.ts does it on purpose.
        throw new Error(`this database was set up ${recorded === 'plain' ? 'on plain PostgreSQL' : 'with TimescaleDB'}; it is not migrated as ${variant}`)
      }
      await tx.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      )
      await ensureStorageSetupTable(tx)
      await recordStorageVariant(tx, variant)
      if (opts.timescale) await tx.query('CREATE EXTENSION IF NOT EXISTS timescaledb')
    })
    const dir = opts.dir ?? migrationsDir
    for (const m of listMigrations(dir)) {
      if (m.variant === 'timescale' && !opts.timescale) continue
      if (m.variant === 'plain' && opts.timescale) continue
      current = m.file
      const sql = readFileSync(`${dir}/${m.file}`, 'utf8')
      const statements = splitStatements(sql)
      const outsideTransaction = sql.startsWith(NO_TRANSACTION_MARK)
      if (outsideTransaction) {
        // Statements first, the record after: a failure or crash in between leaves the migration
        // unrecorded, so the next start runs it again — which is why such files hold idempotent
        // statements only (IF NOT EXISTS, if_not_exists => true).
        const seen = await db.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version])
        if (seen.length > 0) continue
        for (const statement of statements) await db.query(statement)
      }
      const ran = await db.transaction(async (tx) => {
        if (lock) await tx.query(lock, [MIGRATION_LOCK])
        // Re-checked under the lock: another worker may have applied it meanwhile.
        const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version])
        if (seen.length > 0) return false
        if (!outsideTransaction) for (const statement of statements) await tx.query(statement)
        await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version])
        return true
      })
      if (ran) applied.push(m.version)
    }
    return applied
  } catch (err) {
    throw new EgError('MIGRATION_FAILED', `migration ${current || '(setup)'} failed: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Splits a migration file on semicolons at the end of a line. Migrations avoid
 * dollar-quoted bodies with inner `;\n` for this reason (none need one).
 */
export function splitStatements(sql: string): string[] {
  return sql
    .replace(/^\s*--.*$/gm, '')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}
