import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type OpenedBackend } from '../../../test/support/databases'
import { listMigrations, splitStatements } from '../../src/storage/migrate'
import { seedAlert, seedElder } from './fixtures'
import { storeReadings } from '../../../test/support/store-readings'

/** Migration 011: the hourly activity and daily alert aggregates (issue 6). */
const dir = fileURLToPath(new URL('../../src/storage/migrations/', import.meta.url))
const timescaleSql = readFileSync(`${dir}/011_aggregates_hourly.timescale.sql`, 'utf8')

const HOURLY_COLUMNS = ['tenant_id', 'elder_id', 'bucket', 'readings', 'steps', 'steps_max', 'hr_mean', 'hr_min', 'hr_max', 'fixes']

async function columnsOf(db: OpenedBackend['db'], relation: string): Promise<Array<{ column_name: string; data_type: string }>> {
  return db.query('SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [relation])
}

describe('migration 011 files', () => {
  it('come as one file for every backend plus a TimescaleDB and a plain variant of the hourly aggregate', () => {
    const of011 = listMigrations().filter((m) => m.version.startsWith('011_'))
    expect(of011.map((m) => [m.file, m.variant])).toEqual([
      ['011_aggregates.sql', 'all'],
      ['011_aggregates_hourly.plain.sql', 'plain'],
      ['011_aggregates_hourly.timescale.sql', 'timescale'],
    ])
  })

  it('create the continuous aggregate outside a transaction, idempotently', () => {
    // migrate.ts only honours the mark at the very start of the file.
    expect(timescaleSql.startsWith('-- eg:no-transaction\n')).toBe(true)
    const statements = splitStatements(timescaleSql)
    expect(statements).toHaveLength(2)
    expect(statements[0]).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS elder_activity_hourly\s+WITH \(timescaledb\.continuous, timescaledb\.materialized_only = false\)/)
    expect(statements[0]).toMatch(/WITH NO DATA$/)
    expect(statements[1]).toMatch(/^SELECT add_continuous_aggregate_policy\('elder_activity_hourly',[\s\S]*if_not_exists => true\)$/)
  })
})

describe.each(backends)('aggregate views on $name', (backend) => {
  let opened: OpenedBackend
  let elder: string
  const tenant = 'county-agg'

  beforeAll(async () => {
    opened = await backend.open()
    const db = opened.db
    await db.query('INSERT INTO tenants (id, name) VALUES ($1, $1)', [tenant])
    elder = await seedElder(db, tenant, '黄浦区')
    const reading = (time: string, f: { hr?: number; steps?: number; lat?: number }) =>
      storeReadings(db, [
        {
          kind: 'watch', tenantId: tenant, elderId: elder, deviceId: 'watch-1', ts: Date.parse(time),
          ...(f.hr === undefined ? {} : { hr: f.hr }),
          ...(f.steps === undefined ? {} : { steps: f.steps }),
          ...(f.lat === undefined ? {} : { lat: f.lat, lon: f.lat }),
        },
      ])
    // Hour 08:00Z: a cumulative step counter going 1000 → 1450, three heart rates, two fixes.
    await reading('2026-11-02T08:00:00Z', { hr: 70, steps: 1000, lat: 31.2 })
    await reading('2026-11-02T08:20:00Z', { hr: 90, steps: 1200 })
    await reading('2026-11-02T08:59:59.999Z', { hr: 80, steps: 1450, lat: 31.3 })
    // Next hour: a camera-style reading without watch fields.
    await reading('2026-11-02T09:00:00Z', {})
    await seedAlert(db, tenant, { elderId: elder, rule: 'venue.repeat', level: 'orange', firstAt: '2026-11-02T16:00:00Z' })
    await seedAlert(db, tenant, { elderId: elder, rule: 'venue.repeat', level: 'orange', firstAt: '2026-11-02T01:00:00Z', disposition: 'false_alarm' })
    await seedAlert(db, tenant, { elderId: elder, rule: 'venue.repeat', level: 'red', firstAt: '2026-11-02T02:00:00Z', disposition: 'false_alarm' })
    await seedAlert(db, tenant, { elderId: elder, rule: 'safety.fall', level: 'red', firstAt: '2026-11-03T00:30:00Z' })
  })
  afterAll(async () => {
    await opened?.cleanup()
  })

  it('elder_activity_hourly sums each elder hour', async () => {
    const rows = await opened.db.query('SELECT * FROM elder_activity_hourly WHERE elder_id = $1 ORDER BY bucket', [elder])
    expect(rows).toEqual([
      { tenant_id: tenant, elder_id: elder, bucket: new Date('2026-11-02T08:00:00Z'), readings: 3, steps: 450, steps_max: 1450, hr_mean: 80, hr_min: 70, hr_max: 90, fixes: 2 },
      { tenant_id: tenant, elder_id: elder, bucket: new Date('2026-11-02T09:00:00Z'), readings: 1, steps: null, steps_max: null, hr_mean: null, hr_min: null, hr_max: null, fixes: 0 },
    ])
    expect((await columnsOf(opened.db, 'elder_activity_hourly')).map((c) => c.column_name)).toEqual(HOURLY_COLUMNS)
  })

  it('alert_daily_counts counts alerts per UTC day, rule and level', async () => {
    // 16:00Z is already the next day in Shanghai: this view's days are UTC (the report API does local days).
    const rows = await opened.db.query("SELECT day::text AS day, rule, level, alerts FROM alert_daily_counts WHERE tenant_id = $1 ORDER BY day, rule, level", [tenant])
    expect(rows).toEqual([
      { day: '2026-11-02', rule: 'venue.repeat', level: 'orange', alerts: 2 },
      { day: '2026-11-02', rule: 'venue.repeat', level: 'red', alerts: 1 },
      { day: '2026-11-03', rule: 'safety.fall', level: 'red', alerts: 1 },
    ])
  })

  // PGlite has materialized views too, but one real server is enough for a syntax check.
  it.skipIf(backend.name !== 'postgres')('the continuous aggregate query has the plain view’s columns and types', async () => {
    // No TimescaleDB here: the continuous aggregate's SELECT is checked as an ordinary
    // materialized view, with time_bucket spelled as date_trunc, which it equals for 1 hour.
    const create = splitStatements(timescaleSql)[0]!
      .replace('IF NOT EXISTS elder_activity_hourly', 'elder_activity_hourly_check')
      .replace(/WITH \(timescaledb[^)]*\)/, '')
      .replaceAll("time_bucket(INTERVAL '1 hour', time)", "date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'")
    expect(create).not.toMatch(/timescaledb|time_bucket/)
    await opened.db.query(create)
    await opened.db.query('REFRESH MATERIALIZED VIEW elder_activity_hourly_check')
    const check = await opened.db.query('SELECT * FROM elder_activity_hourly_check WHERE elder_id = $1 ORDER BY bucket', [elder])
    expect(check).toEqual(await opened.db.query('SELECT * FROM elder_activity_hourly WHERE elder_id = $1 ORDER BY bucket', [elder]))
    const types = async (relation: string) =>
      opened.db.query('SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum', [relation])
    expect(await types('elder_activity_hourly_check')).toEqual(await types('elder_activity_hourly'))
  })
})
