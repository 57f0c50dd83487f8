import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { adminUrl, createPostgresDatabase, silentLogger } from '../../../test/support/databases'
import { openDb } from '../../src/storage/db'
import { detectTimescale, migrate } from '../../src/storage/migrate'
import { applyRetention } from '../../src/storage/retention'

/**
 * The TimescaleDB branch of the migrations, exercised wherever the server offers the
 * extension (a timescale/timescaledb image, e.g. docker-compose's). The development machines'
 * Debian PostgreSQL does not: there the suite says so in its title and skips.
 */
async function timescaleOnServer(): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const rows = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'timescaledb'")
    return (rows.rows[0]?.n ?? 0) > 0
  } finally {
    await client.end()
  }
}

const available = await timescaleOnServer()
const title = available ? 'migrations on TimescaleDB' : 'migrations on TimescaleDB — skipped: the server has no timescaledb extension'

describe.skipIf(!available)(title, () => {
  it('makes hypertables with compression, the hourly continuous aggregate and its policies, idempotently', async () => {
    const database = await createPostgresDatabase()
    const db = await openDb({ databaseUrl: database.url, dataDir: 'unused', logger: silentLogger })
    try {
      expect(await detectTimescale(db)).toBe(true)
      const applied = await migrate(db, { timescale: true })
      expect(applied).toEqual(expect.arrayContaining(['003_telemetry_hypertables.timescale', '011_aggregates_hourly.timescale']))
      expect(applied.some((v) => v.endsWith('.plain'))).toBe(false)
      expect(await migrate(db, { timescale: true })).toEqual([])

      const hypertables = await db.query<{ hypertable_name: string; compression_enabled: boolean }>(
        'SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables ORDER BY 1',
      )
      expect(hypertables).toEqual(expect.arrayContaining([{ hypertable_name: 'readings', compression_enabled: true }]))
      const aggregates = await db.query<{ view_name: string; materialized_only: boolean }>(
        'SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates',
      )
      expect(aggregates).toEqual([{ view_name: 'elder_activity_hourly', materialized_only: false }])
      await applyRetention(db, { days: 180, timescale: true })
      const jobs = await db.query<{ proc_name: string; hypertable_name: string | null }>('SELECT proc_name, hypertable_name FROM timescaledb_information.jobs')
      const procs = jobs.map((j) => j.proc_name)
      expect(procs).toEqual(expect.arrayContaining(['policy_compression', 'policy_refresh_continuous_aggregate', 'policy_retention']))
      // The aggregate answers like the plain view (real-time aggregation: nothing materialised yet).
      await db.query(
        "INSERT INTO readings (time, tenant_id, elder_id, device_id, kind, hr, steps) VALUES (now() - interval '10 minutes', 't', 'e', 'd', 'watch', 70, 100), (now() - interval '5 minutes', 't', 'e', 'd', 'watch', 80, 160)",
      )
      const hours = await db.query<{ readings: number; steps: number; hr_mean: number }>('SELECT readings, steps, hr_mean FROM elder_activity_hourly WHERE elder_id = $1', ['e'])
      expect(hours.reduce((n, h) => n + h.readings, 0)).toBe(2)
    } finally {
      await db.close()
      await database.drop()
    }
  })
})
