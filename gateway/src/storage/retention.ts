import type { Logger } from '../logger'
import type { Db } from './db'

/**
 * Telemetry retention (EG_RETENTION_DAYS). On TimescaleDB the database does it: a retention
 * policy drops whole chunks, which costs nothing per row. On plain PostgreSQL and PGlite the
 * gateway deletes old rows itself, in bounded chunks so no statement holds locks or builds a
 * huge transaction while ingestion keeps writing.
 */
export interface RetentionOptions {
  days: number
  timescale: boolean
  /** Rows per DELETE on the plain path. */
  chunkRows?: number
}

export type RetentionResult = Record<(typeof PLAIN_TABLES)[number], number>

/** The hypertables of 003_telemetry_hypertables.timescale.sql. */
const TIMESCALE_TABLES = ['readings', 'device_events', 'command_acks'] as const
const PLAIN_TABLES = ['readings', 'device_events', 'command_acks'] as const

// Table names come from the constants above, never from input: only the cutoff is a parameter.
// ctid = ANY(ARRAY(...)) makes the delete a TID scan of exactly the rows the LIMIT picked.
const deleteSql = (table: string) =>
  `WITH gone AS (DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE time < now() - make_interval(days => $1::int) LIMIT $2)) RETURNING 1)
   SELECT count(*)::int AS n FROM gone`

/** Applies retention once; on the plain path returns how many rows each table lost. */
export async function applyRetention(db: Db, opts: RetentionOptions): Promise<RetentionResult> {
  const result: RetentionResult = { readings: 0, device_events: 0, command_acks: 0 }
  if (opts.timescale) {
    // Replaced rather than kept: EG_RETENTION_DAYS may have changed since the last start, and
    // add_retention_policy(if_not_exists) would silently keep the old interval.
    await db.transaction(async (tx) => {
      for (const table of TIMESCALE_TABLES) {
        await tx.query('SELECT remove_retention_policy($1::regclass, if_exists => true)', [table])
        await tx.query('SELECT add_retention_policy($1::regclass, drop_after => make_interval(days => $2::int))', [table, opts.days])
      }
    })
    return result
  }
  const chunk = opts.chunkRows ?? 10_000
  for (const table of PLAIN_TABLES) {
    for (;;) {
      const [row] = await db.query<{ n: number }>(deleteSql(table), [opts.days, chunk])
      const n = row?.n ?? 0
      result[table] += n
      if (n < chunk) break
    }
  }
  return result
}

export interface RetentionJob {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>
}

/**
 * Applies retention now and, on the plain path, every intervalMs (hourly in production)
 * afterwards. On TimescaleDB the policy runs inside the database, so one application suffices.
 */
export function startRetentionJob(db: Db, opts: RetentionOptions & { intervalMs: number; logger: Logger }): RetentionJob {
  const { logger } = opts
  let running: Promise<void> | undefined
  let stopped = false

  const run = () => {
    if (running !== undefined || stopped) return
    running = applyRetention(db, opts)
      .then((deleted) => {
        if (deleted.readings + deleted.device_events + deleted.command_acks > 0) logger.info({ deleted, days: opts.days }, 'retention applied')
      })
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'retention failed; will retry at the next run'))
      .finally(() => {
        running = undefined
      })
  }

  run()
  const timer = opts.timescale ? undefined : setInterval(run, opts.intervalMs)
  // Housekeeping never keeps the process alive.
  timer?.unref()
  return {
    async stop() {
      stopped = true
      if (timer !== undefined) clearInterval(timer)
      await running
    },
  }
}
