import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger, type TestDatabase } from '../../../test/support/databases'
import { commandAck, deviceEvent, watchReading } from '../../../test/support/telemetry'
import { createDatabaseOn, findTimescaleServer, suiteFor } from '../../../test/support/timescale-servers'
import { createLogger } from '../../src/logger'
import { createMetrics } from '../../src/metrics'
import { elderActivityHourly, HOUR_MS } from '../../src/storage/activity-queries'
import { openDb, type Db } from '../../src/storage/db'
import { listMigrations, migrate } from '../../src/storage/migrate'
import { readStorageVariant } from '../../src/storage/storage-variant'
import { queryEvents, queryReadings } from '../../src/storage/telemetry-queries'
import { createTelemetryWriter, type TelemetryBatch } from '../../src/storage/telemetry-writer'
import { convertToTimescale, PLAIN_REPLACED } from '../../src/storage/timescale-convert'
import { resolveTimescale } from '../../src/storage/timescale-mode'

/**
 * A database set up plain (EG_TIMESCALE=off, or started before the server preloaded
 * timescaledb) on a server where TimescaleDB is available: it stays plain in auto, on refuses
 * it, and the explicit conversion turns it into the Timescale set-up without losing a row or an
 * hour of the activity aggregate. On the real TimescaleDB test server.
 */
const DAY_MS = 24 * HOUR_MS
const hourNow = Math.floor(Date.now() / HOUR_MS) * HOUR_MS

const server = await findTimescaleServer()
const suite = suiteFor('a plain database on a server with TimescaleDB', server)

function capturingLogger() {
  const lines: Array<{ level: number; msg: string; reason?: string }> = []
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) }) }
}

async function write(db: Db, batch: TelemetryBatch): Promise<void> {
  const writer = createTelemetryWriter(db, { batchSize: 500, flushMs: 10, bufferCapacity: 10_000, logger: silentLogger, metrics: createMetrics() })
  try {
    await writer.push(batch)
    await writer.flush()
  } finally {
    await writer.close()
  }
}

async function hypertables(db: Db): Promise<string[]> {
  const rows = await db.query<{ hypertable_name: string }>('SELECT hypertable_name FROM timescaledb_information.hypertables ORDER BY 1')
  return rows.map((r) => r.hypertable_name)
}

describe('conversion', () => {
  it('knows what replaces every .plain migration', () => {
    const plain = listMigrations().filter((m) => m.variant === 'plain').map((m) => m.version)
    expect(plain.length).toBeGreaterThan(0)
    expect(Object.keys(PLAIN_REPLACED).sort()).toEqual(plain.sort())
  })
})

describe.skipIf(suite.skip)(suite.title, () => {
  const databases: TestDatabase[] = []
  const dbs: Db[] = []
  async function fresh(): Promise<Db> {
    const database = await createDatabaseOn(server.url!)
    databases.push(database)
    const db = await openDb({ databaseUrl: database.url, dataDir: 'unused', logger: silentLogger })
    dbs.push(db)
    return db
  }
  beforeAll(() => suite.check())
  afterAll(async () => {
    for (const db of dbs) await db.close()
    for (const database of databases) await database.drop()
  })

  it('stays plain in auto, is refused by on, and converts on purpose with every row and hour kept', async () => {
    const db = await fresh()
    expect(await resolveTimescale(db, 'off', silentLogger)).toBe(false)
    await migrate(db, { timescale: false })
    // Ten days of a watch every 10 minutes, ending two hours ago (older than the aggregate
    // policy's 3-day window, so only the conversion's full refresh can materialise them).
    const over = { tenantId: 't1', elderId: 'e1', deviceId: 'w1' }
    const start = hourNow - 10 * DAY_MS
    const readings = Array.from({ length: 6 * 24 * 10 - 12 }, (_, i) => watchReading(i, { ...over, ts: start + i * 600_000, steps: i * 11 }))
    const events = Array.from({ length: 40 }, (_, i) => deviceEvent(i, { ...over, ts: start + i * 3 * HOUR_MS }))
    const acks = Array.from({ length: 20 }, (_, i) => commandAck(i, { ...over, ts: start + i * 5 * HOUR_MS }))
    await write(db, { readings, events, acks })
    const range = { tenantId: 't1', elderId: 'e1', from: start, to: hourNow, limit: 10_000 }
    const activity = () => elderActivityHourly(db, 't1', 'e1', start, hourNow)
    const plainHours = await activity()
    expect(plainHours).toHaveLength(24 * 10 - 2)

    // auto: TimescaleDB is right there, but the database stays plain — one line says why and how to convert.
    const auto = capturingLogger()
    expect(await resolveTimescale(db, 'auto', auto.logger)).toBe(false)
    expect(auto.lines).toHaveLength(1)
    expect(auto.lines[0]).toMatchObject({ level: 30, reason: 'set-up-plain' })
    expect(auto.lines[0]?.msg).toMatch(/set up on plain PostgreSQL and stays plain .*convert it once, with the gateway stopped, by `npx tsx gateway\/src\/cli\/convert-timescale\.ts`/)
    expect(await db.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).toEqual([])
    await expect(resolveTimescale(db, 'on', silentLogger)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/^EG_TIMESCALE=on, but this database was set up on plain PostgreSQL, and it is not converted at start-up .*convert-timescale/),
    })
    // Nor does a caller that asks migrate() for the other branch get it in passing.
    await expect(migrate(db, { timescale: true })).rejects.toMatchObject({ code: 'MIGRATION_FAILED', message: expect.stringContaining('set up on plain PostgreSQL') })
    expect(await readStorageVariant(db)).toBe('plain')

    const result = await convertToTimescale(db, silentLogger)
    expect(result.converted).toBe(true)
    expect(result.applied).toEqual(['003_telemetry_hypertables.timescale', '011_aggregates_hourly.timescale'])
    expect(await readStorageVariant(db)).toBe('timescale')
    expect(await hypertables(db)).toEqual(['command_acks', 'device_events', 'readings'])
    expect(await db.query("SELECT version FROM schema_migrations WHERE version LIKE '%.plain'")).toEqual([])
    expect(await queryReadings(db, range)).toEqual(readings)
    expect(await queryEvents(db, range)).toEqual(events)
    const [stored] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM command_acks')
    expect(stored?.n).toBe(acks.length)
    expect(await activity()).toEqual(plainHours)
    // …and those hours are materialised, not recomputed from raw readings on every request.
    await db.query('ALTER MATERIALIZED VIEW elder_activity_hourly SET (timescaledb.materialized_only = true)')
    expect(await activity()).toEqual(plainHours)
    await db.query('ALTER MATERIALIZED VIEW elder_activity_hourly SET (timescaledb.materialized_only = false)')

    // From now on it is a TimescaleDB database like any other.
    const after = capturingLogger()
    expect(await resolveTimescale(db, 'auto', after.logger)).toBe(true)
    expect(after.lines).toEqual([])
    expect(await resolveTimescale(db, 'on', silentLogger)).toBe(true)
    await expect(resolveTimescale(db, 'off', silentLogger)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    expect(await migrate(db, { timescale: true })).toEqual([])
    const late = watchReading(5000, { ...over, ts: hourNow - 30 * 60_000 })
    await write(db, { readings: [late] })
    expect(await queryReadings(db, { ...range, to: hourNow + HOUR_MS })).toEqual([...readings, late])
    // Running the conversion again changes nothing.
    expect(await convertToTimescale(db, silentLogger)).toEqual({ converted: false, applied: [] })
  })

  it('reads the variant of a database migrated before storage_setup existed from its migration records', async () => {
    const plain = await fresh()
    await migrate(plain, { timescale: false })
    await plain.query('DROP TABLE storage_setup')
    expect(await readStorageVariant(plain)).toBe('plain')
    expect(await resolveTimescale(plain, 'auto', silentLogger)).toBe(false)
    expect(await migrate(plain, { timescale: false })).toEqual([])
    expect(await plain.query('SELECT variant FROM storage_setup')).toEqual([{ variant: 'plain' }])

    const timescale = await fresh()
    expect(await resolveTimescale(timescale, 'auto', silentLogger)).toBe(true)
    await migrate(timescale, { timescale: true })
    await timescale.query('DROP TABLE storage_setup')
    expect(await readStorageVariant(timescale)).toBe('timescale')

    // Stopped after 002, before any variant migration: the extension, created before migrating, tells.
    const early = await fresh()
    await early.query('CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())')
    await early.query("INSERT INTO schema_migrations (version) VALUES ('001_registry'), ('002_telemetry')")
    expect(await readStorageVariant(early)).toBe('plain')
    await early.query('CREATE EXTENSION timescaledb')
    expect(await readStorageVariant(early)).toBe('timescale')
  })
})
