import { mkdirSync } from 'node:fs'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import { EgError } from '../errors'
import type { Logger } from '../logger'

/**
 * One storage interface over PostgreSQL (`pg`, also TimescaleDB) and embedded PGlite
 * (DESIGN §2: "one SQL dialect serves all three"). SQL lives only under gateway/src/storage.
 *
 * Conventions every query relies on:
 * - int8 comes back as a JS number on both drivers (counts, ids) — set below;
 * - jsonb parameters are passed as JSON.stringify(...) with an explicit `::jsonb` cast,
 *   because pg would turn a JS array into a Postgres array, not JSON;
 * - timestamptz comes back as Date on both.
 */
export interface QueryOptions {
  /**
   * PostgreSQL: run as the named prepared statement of this name, parsed and planned once per
   * connection instead of per call — for the hot statements (the telemetry writer's INSERT:
   * about a fifth of the database's CPU per reading at 130-row batches, measured). A name must
   * always go with the same SQL text. PGlite: ignored.
   */
  prepare?: string
}

export interface Queryable {
  query<R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<R[]>
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite'
  /** Runs fn in one transaction; rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>
  close(): Promise<void>
}

const INT8_OID = 20

export interface OpenDbOptions {
  databaseUrl?: string | undefined
  dataDir: string
  logger: Logger
  /** Connections in the pg pool; the batched writer holds at most one at a time. */
  poolSize?: number
  /** PostgreSQL: honour `prepare` (QueryOptions); false runs every statement unnamed (EG_PG_PREPARED=off). Default true. */
  prepared?: boolean
}

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.logger, opts.poolSize ?? 10, opts.prepared ?? true) : openPglite(opts.dataDir)
}

function storageError(err: unknown): EgError {
  return err instanceof EgError ? err : new EgError('STORAGE_UNAVAILABLE', (err as Error)?.message, { cause: err })
}

async function openPostgres(url: string, logger: Logger, max: number, prepared: boolean): Promise<Db> {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
  }
  // keepAlive: a connection whose server vanished without a FIN (failover, a NAT dropping state)
  // is noticed by TCP instead of hanging the next statement until the kernel gives up.
  const pool = new pg.Pool({ connectionString: url, max, types, keepAlive: true })
  // An idle client losing its connection emits 'error' on the pool; unhandled it would crash
  // the process. The next query gets a fresh connection, so logging is the right answer.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'postgres idle connection error'))
  // A checked-out client has no listener of the pool's (pg-pool removes its idle listener on
  // checkout, and pool.query listens only `once`): the server terminating a connection at the
  // wrong moment — while a transaction waits on a lock, between two statements, right after a
  // statement ended — emits an 'error' nobody hears, and that ends the process (seen in
  // gateway/test/e2e/db-connections.e2e.test.ts). So every client gets a listener of ours for its
  // whole life, at creation; the statement in flight rejects by itself, and a transaction on a
  // broken client discards it instead of handing it to the next caller.
  const broken = new WeakSet<pg.Client>()
  pool.on('connect', (client) => {
    client.on('error', (err: Error) => {
      broken.add(client)
      logger.warn({ err: err.message }, 'postgres connection lost')
    })
  })
  try {
    await pool.query('SELECT 1')
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw new EgError('STORAGE_UNAVAILABLE', `cannot connect to DATABASE_URL: ${(err as Error).message}`, { cause: err })
  }
  const run = async <R extends object>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[], opts?: QueryOptions) =>
    (opts?.prepare === undefined || !prepared
      ? await client.query<R & pg.QueryResultRow>(sql, params as unknown[] | undefined)
      : await client.query<R & pg.QueryResultRow>({ name: opts.prepare, text: sql, values: params as unknown[] | undefined })
    ).rows as R[]
  return {
    kind: 'postgres',
    query: (sql, params, opts) => run(pool, sql, params, opts),
    async transaction(fn) {
      const client = await pool.connect().catch((err: unknown) => {
        throw storageError(err)
      })
      let lost: Error | undefined
      try {
        await client.query('BEGIN')
        const result = await fn({ query: (sql, params, opts) => run(client, sql, params, opts) })
        await client.query('COMMIT')
        return result
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
          // ROLLBACK itself failing means the connection is gone (the server rolled back).
          lost = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr))
        })
        throw err
      } finally {
        // A connection that broke is destroyed, not handed to the next caller: pg-pool
        // discards a client released with an error.
        client.release(lost ?? (broken.has(client) ? new Error('connection lost') : undefined))
      }
    },
    async exec(sql) {
      await pool.query(sql)
    },
    close: () => pool.end(),
  }
}

async function openPglite(dataDir: string): Promise<Db> {
  // 'memory://' keeps everything in memory (tests); any other value is a directory.
  const location = dataDir === 'memory://' ? undefined : `${dataDir.replace(/\/$/, '')}/pglite`
  if (location) mkdirSync(location, { recursive: true })
  const lite = new PGlite(location, { parsers: { [INT8_OID]: (v: string) => Number(v) } })
  await lite.waitReady
  return {
    kind: 'pglite',
    query: async (sql, params) => (await lite.query(sql, params as unknown[] | undefined)).rows as never,
    transaction: (fn) =>
      lite.transaction((tx) => fn({ query: async (sql, params) => (await tx.query(sql, params as unknown[] | undefined)).rows as never })),
    async exec(sql) {
      await lite.exec(sql)
    },
    close: () => lite.close(),
  }
}
