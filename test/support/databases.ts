import { randomBytes } from 'node:crypto'
import pg from 'pg'
import pino from 'pino'
import { openDb, type Db } from '../../gateway/src/storage/db'
import { migrate } from '../../gateway/src/storage/migrate'

/**
 * Real databases for tests: a fresh PostgreSQL database per call (never assume an empty
 * server), and an in-memory PGlite. The PostgreSQL server is required — CI installs or starts
 * one — so an unreachable server fails loudly instead of skipping.
 */
export const adminUrl = process.env.EG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestDatabase {
  url: string
  drop(): Promise<void>
}

export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `eg_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`)
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}

export const silentLogger = pino({ level: 'silent' })

export interface OpenedBackend {
  db: Db
  /** A second connection string for the same database (postgres only), e.g. for a worker process. */
  url: string | undefined
  cleanup(): Promise<void>
}

/** Both storage backends; suites run with describe.each(backends). */
export const backends: Array<{ name: 'pglite' | 'postgres'; open(opts?: { migrate?: boolean }): Promise<OpenedBackend> }> = [
  {
    name: 'pglite',
    async open(opts = {}) {
      const db = await openDb({ dataDir: 'memory://', logger: silentLogger })
      if (opts.migrate !== false) await migrate(db, { timescale: false })
      return { db, url: undefined, cleanup: () => db.close() }
    },
  },
  {
    name: 'postgres',
    async open(opts = {}) {
      const database = await createPostgresDatabase()
      const db = await openDb({ databaseUrl: database.url, dataDir: 'unused', logger: silentLogger })
      if (opts.migrate !== false) await migrate(db, { timescale: false })
      return {
        db,
        url: database.url,
        async cleanup() {
          await db.close()
          await database.drop()
        },
      }
    },
  },
]
