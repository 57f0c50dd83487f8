import { EgError } from '../errors'
import type { Logger } from '../logger'
import type { Db } from './db'
import { MIGRATION_LOCK } from './migration-lock'
import { readStorageVariant } from './storage-variant'

/**
 * EG_TIMESCALE — whether this database uses TimescaleDB, decided once at start, before
 * migrating (DESIGN §6, the pino model: decide at configuration time):
 *
 * - `auto`: TimescaleDB when the extension is installed in the database or can be created;
 *   otherwise plain PostgreSQL, with one log line saying why and how to enable it;
 * - `on`: refuse to start without it;
 * - `off`: never touch it (no CREATE EXTENSION; the `.plain.sql` migrations).
 *
 * A server that offers the extension without preloading it is the usual state right after
 * installing the package; there CREATE EXTENSION does not merely fail, it ends the connection
 * (FATAL "must be preloaded"). So the server's shared_preload_libraries is read first, and the
 * create attempt, when made (a role that may not read that setting), runs alone, before and
 * outside the migration: a failure costs one pooled connection and never a migration.
 *
 * The variant a database was set up with is sticky (storage-variant.ts): a plain database stays
 * plain in `auto` even once TimescaleDB is available, and `on` refuses it rather than rewriting
 * its tables at start-up; timescale-convert.ts converts it on purpose.
 */
export type TimescaleMode = 'auto' | 'on' | 'off'

export interface TimescaleUnavailable {
  why: 'not-offered' | 'not-preloaded' | 'create-failed'
  /** The server's words, for create-failed. */
  detail?: string
}

/** How an operator converts a plain database (gateway stopped): also printed in log lines and errors. */
export const CONVERT_COMMAND = 'npx tsx gateway/src/cli/convert-timescale.ts'

const PRELOAD = "shared_preload_libraries = 'timescaledb' in postgresql.conf"

export function describeUnavailable(u: TimescaleUnavailable): string {
  switch (u.why) {
    case 'not-offered':
      return 'this PostgreSQL server does not offer the timescaledb extension (not installed on the server)'
    case 'not-preloaded':
      return 'this PostgreSQL server offers the timescaledb extension but does not preload it (shared_preload_libraries)'
    case 'create-failed':
      return `CREATE EXTENSION timescaledb failed: ${u.detail ?? 'unknown error'}`
  }
}

/** The operator's steps on the server to make TimescaleDB usable. */
export function serverSteps(u: TimescaleUnavailable): string {
  switch (u.why) {
    case 'not-offered':
      return `install TimescaleDB for this PostgreSQL version on the server, set ${PRELOAD} and restart PostgreSQL`
    case 'not-preloaded':
      return `set ${PRELOAD} and restart PostgreSQL`
    case 'create-failed':
      return `check ${PRELOAD} (and that PostgreSQL was restarted since), or run CREATE EXTENSION timescaledb once in this database as a superuser`
  }
}

/** Whether TimescaleDB looks usable, without changing anything; undefined means it does. */
export async function inspectTimescale(db: Db): Promise<TimescaleUnavailable | undefined> {
  const offered = await db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
  if (offered.length === 0) return { why: 'not-offered' }
  if ((await preloaded(db)) === false) return { why: 'not-preloaded' }
  return undefined
}

/**
 * The server's shared_preload_libraries names timescaledb (true/false); undefined when this
 * role may not read it (a superuser or pg_read_all_settings may) — the create attempt decides then.
 */
async function preloaded(db: Db): Promise<boolean | undefined> {
  try {
    const [row] = await db.query<{ libraries: string }>("SELECT current_setting('shared_preload_libraries') AS libraries")
    return /(^|[\s,"/])timescaledb/.test(row?.libraries ?? '')
  } catch {
    return undefined
  }
}

/**
 * Makes TimescaleDB usable in this database: creates the extension (a no-op when installed)
 * when it looks usable. Returns undefined on success, else why not. Under the migration lock,
 * so workers starting together do not race on CREATE EXTENSION.
 */
export async function enableTimescale(db: Db): Promise<TimescaleUnavailable | undefined> {
  const missing = await inspectTimescale(db)
  if (missing) return missing
  try {
    // One simple-protocol query, one implicit transaction: the lock is held until the extension
    // exists. Not db.transaction(): on a FATAL the server drops the connection, and a client
    // checked out for a transaction would report that as an unhandled 'error' event; the pool
    // discards a client whose single query failed before the socket closes.
    await db.exec(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}); CREATE EXTENSION IF NOT EXISTS timescaledb`)
    return undefined
  } catch (err) {
    const message = (err as Error).message
    // XX000 "extension "timescaledb" must be preloaded" (FATAL: the server closed the connection).
    return /must be preloaded/i.test(message) ? { why: 'not-preloaded' } : { why: 'create-failed', detail: message }
  }
}

/**
 * Decides whether migrate() takes the Timescale branch for this database; creates the extension
 * when it does. Throws EgError when the mode cannot be honoured (see the module comment).
 */
export async function resolveTimescale(db: Db, mode: TimescaleMode, logger: Logger): Promise<boolean> {
  if (db.kind === 'pglite') {
    if (mode === 'on') throw new EgError('CONFIG_INVALID', 'EG_TIMESCALE=on needs DATABASE_URL: the embedded PGlite has no TimescaleDB')
    return false
  }
  const recorded = await readStorageVariant(db)
  if (mode === 'off') {
    if (recorded === 'timescale') {
      throw new EgError('CONFIG_INVALID', 'EG_TIMESCALE=off, but this database was set up with TimescaleDB (hypertables, continuous aggregate) and cannot run without it: use EG_TIMESCALE=auto or on')
    }
    return false
  }
  if (recorded === 'plain') return keepPlain(db, mode, logger)

  const unavailable = await enableTimescale(db)
  if (unavailable === undefined) return true
  const why = describeUnavailable(unavailable)
  if (recorded === 'timescale') {
    throw new EgError('STORAGE_UNAVAILABLE', `this database was set up with TimescaleDB and cannot run without it, but ${why}: ${serverSteps(unavailable)}, then restart the gateway`)
  }
  if (mode === 'on') {
    throw new EgError('CONFIG_INVALID', `EG_TIMESCALE=on, but ${why}: ${serverSteps(unavailable)}, then restart the gateway (or set EG_TIMESCALE=auto to run on plain PostgreSQL)`)
  }
  logPlain(logger, unavailable)
  return false
}

const CONVERT = `convert it once, with the gateway stopped, by \`${CONVERT_COMMAND}\` (same DATABASE_URL)`

/** A database set up plain: stays plain in auto, refused by on (never converted at start-up). */
async function keepPlain(db: Db, mode: 'auto' | 'on', logger: Logger): Promise<false> {
  const unavailable = await inspectTimescale(db)
  if (mode === 'on') {
    const also = unavailable ? `; besides, ${describeUnavailable(unavailable)}: ${serverSteps(unavailable)}` : ''
    throw new EgError(
      'CONFIG_INVALID',
      `EG_TIMESCALE=on, but this database was set up on plain PostgreSQL, and it is not converted at start-up because that rewrites every telemetry row${also}. ` +
        `To use TimescaleDB, ${CONVERT}; or set EG_TIMESCALE=auto to keep running it plain`,
    )
  }
  logPlain(logger, unavailable)
  return false
}

/** The one line `auto` logs when it runs plain: why, how to enable it, what becomes of this database. */
function logPlain(logger: Logger, unavailable: TimescaleUnavailable | undefined): void {
  if (unavailable === undefined) {
    logger.info(
      { timescale: false, reason: 'set-up-plain' },
      `TimescaleDB not used: the server offers it, but this database was set up on plain PostgreSQL and stays plain ` +
        `(converting rewrites every telemetry row, too long for a start-up): ${CONVERT}; EG_TIMESCALE=off silences this line`,
    )
    return
  }
  logger[unavailable.why === 'not-offered' ? 'info' : 'warn'](
    { timescale: false, reason: unavailable.why },
    `TimescaleDB not used: ${describeUnavailable(unavailable)}; running on plain PostgreSQL. ` +
      `To enable it: ${serverSteps(unavailable)}, then restart the gateway. This database is set up plain and stays plain ` +
      `after that (no table rewrite at start-up): ${CONVERT}, or start on a new database`,
  )
}
