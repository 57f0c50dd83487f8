import type { Logger } from '../logger'
import type { Db } from './db'
import { sqlStateOf } from './db-errors'

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

/**
 * The table's TimescaleDB retention policy at `days`. Replaced only when it differs: EG_RETENTION_DAYS
 * may have changed since the last start (add_retention_policy(if_not_exists) would silently keep
 * the old interval), but replacing it on every start raced the job scheduler, which starts a new
 * job at once — a deadlock (40P01) that failed the gateway's start. A deadlock is retried.
 */
async function setRetentionPolicy(db: Db, table: string, days: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.transaction(async (tx) => {
        const [current] = await tx.query<{ same: boolean }>(
          `SELECT (config->>'drop_after')::interval = make_interval(days => $2::int) AS same
           FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_name = $1`,
          [table, days],
        )
        if (current?.same === true) return
        await tx.query('SELECT remove_retention_policy($1::regclass, if_exists => true)', [table])
        await tx.query('SELECT add_retention_policy($1::regclass, drop_after => make_interval(days => $2::int))', [table, days])
      })
      return
    } catch (err) {
      if (sqlStateOf(err) !== '40P01' || attempt >= 5) throw err
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
    }
  }
}

/** Applies retention once; on the plain path returns how many rows each table lost. */
export async function applyRetention(db: Db, opts: RetentionOptions): Promise<RetentionResult> {
  const result: RetentionResult = { readings: 0, device_events: 0, command_acks: 0 }
  if (opts.timescale) {
    for (const table of TIMESCALE_TABLES) await setRetentionPolicy(db, table, opts.days)
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
