import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CameraReading, DeviceEvent, WatchReading } from '../../../rules/src/input'
import { silentLogger, type TestDatabase } from '../../../test/support/databases'
import { cameraReading, commandAck, deviceEvent, waitFor, watchReading } from '../../../test/support/telemetry'
import { createDatabaseOn, findTimescaleServer, suiteFor } from '../../../test/support/timescale-servers'
import { createMetrics } from '../../src/metrics'
import { elderActivityHourly, HOUR_MS, type ActivityHour } from '../../src/storage/activity-queries'
import { openDb, type Db } from '../../src/storage/db'
import { listMigrations, migrate, resolveTimescale } from '../../src/storage/migrate'
import { applyRetention } from '../../src/storage/retention'
import { queryEvents, queryReadings, streamTenantInputs } from '../../src/storage/telemetry-queries'
import { createTelemetryWriter, type TelemetryBatch } from '../../src/storage/telemetry-writer'
import { telemetryInsertSql, telemetryParams } from '../../src/storage/telemetry-sql'

/**
 * The Timescale branch of the storage layer on a real TimescaleDB (../shared/timescaledb/start.sh,
 * or EG_TEST_TIMESCALE_URL): hypertables, compression, retention, the continuous aggregate and its
 * refresh, and telemetry written by the batched writer and read back by the queries. Skipped,
 * saying why, without that server — failed instead when EG_TEST_TIMESCALE_REQUIRED=1 (CI).
 * Each test uses its own tenant and elders in one database, so none depends on another's rows.
 */
const DAY_MS = 24 * HOUR_MS
// Whole hours, relative to now: compression and retention act on age.
const hourNow = Math.floor(Date.now() / HOUR_MS) * HOUR_MS

const migrationsDir = fileURLToPath(new URL('../../src/storage/migrations/', import.meta.url))

const server = await findTimescaleServer()
const suite = suiteFor('storage on TimescaleDB', server)

async function write(db: Db, batch: TelemetryBatch): Promise<void> {
  const writer = createTelemetryWriter(db, { batchSize: 100, flushMs: 10, bufferCapacity: 10_000, logger: silentLogger, metrics: createMetrics() })
  try {
    await writer.push(batch)
    await writer.flush()
  } finally {
    await writer.close()
  }
}

/**
 * Readings into a schema from before 021, which the writer no longer fits (it records the
 * (elder, device) pairs in elder_devices): its statement without them, health columns absent.
 */
async function writeBefore021(db: Db, readings: WatchReading[]): Promise<void> {
  await db.query(telemetryInsertSql(true, false, false, false, false), telemetryParams(readings, 0, readings.length, [], 0, 0, [], 0, 0, false))
}

async function jobConfigs(db: Db, proc: string): Promise<Array<{ table: string | null; config: Record<string, unknown> }>> {
  const rows = await db.query<{ table: string | null; config: Record<string, unknown> }>(
    'SELECT hypertable_name AS table, config FROM timescaledb_information.jobs WHERE proc_name = $1 ORDER BY hypertable_name',
    [proc],
  )
  return rows.map((r) => ({ table: r.table, config: Object.fromEntries(Object.entries(r.config).filter(([k]) => !/_id$/.test(k))) }))
}

/** Sets EG_RETENTION_DAYS as a start does (applyRetention retries the scheduler's deadlock itself). */
const setRetention = (db: Db, days: number) => applyRetention(db, { days, timescale: true })

async function runJob(db: Db, proc: string, table: string): Promise<void> {
  const [job] = await db.query<{ job_id: number }>('SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = $1 AND hypertable_name = $2', [proc, table])
  expect(job).toBeDefined()
  await db.query('CALL run_job($1)', [job!.job_id])
}

/** What the hourly aggregate must say of these watch readings (011: steps are max − min of the counter). */
function expectedHours(readings: WatchReading[]): ActivityHour[] {
  const hours = new Map<number, WatchReading[]>()
  for (const r of readings) {
    const at = Math.floor(r.ts / HOUR_MS) * HOUR_MS
    hours.set(at, [...(hours.get(at) ?? []), r])
  }
  return [...hours.entries()]
    .sort(([a], [b]) => a - b)
    .map(([at, rs]) => {
      const steps = rs.map((r) => r.steps!)
      const hr = rs.map((r) => r.hr!)
      return {
        at,
        readings: rs.length,
        steps: Math.max(...steps) - Math.min(...steps),
        stepsMax: Math.max(...steps),
        hrMean: hr.reduce((a, b) => a + b, 0) / hr.length,
        hrMin: Math.min(...hr),
        hrMax: Math.max(...hr),
        fixes: rs.filter((r) => r.lat !== undefined).length,
      }
    })
}

describe.skipIf(suite.skip)(suite.title, () => {
  let database: TestDatabase
  let db: Db
  let applied: string[]

  beforeAll(async () => {
    suite.check()
    database = await createDatabaseOn(server.url!)
    db = await openDb({ databaseUrl: database.url, dataDir: 'unused', logger: silentLogger })
    expect(await resolveTimescale(db, 'auto', silentLogger)).toBe(true)
    applied = await migrate(db, { timescale: true })
    await setRetention(db, 180)
    // The aggregate's refreshes are driven by the tests: its policy, run whenever the scheduler
    // gets to it, would move the watermark below which hours come from the materialisation only.
    const [refresh] = await db.query<{ job_id: number }>("SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'")
    await db.query('SELECT alter_job($1, scheduled => false)', [refresh!.job_id])
    const running = "SELECT 1 FROM timescaledb_information.job_stats WHERE job_id = $1 AND job_status = 'Running'"
    await waitFor(async () => (await db.query(running, [refresh!.job_id])).length === 0, 30_000, 'the refresh policy to finish')
  })
  afterAll(async () => {
    await db?.close()
    await database?.drop()
  })

  it('makes hypertables with compression, the hourly continuous aggregate and the policies, idempotently', async () => {
    expect(applied).toEqual(expect.arrayContaining(['003_telemetry_hypertables.timescale', '011_aggregates_hourly.timescale']))
    expect(applied.some((v) => v.endsWith('.plain'))).toBe(false)
    expect(await migrate(db, { timescale: true })).toEqual([])

    expect(await db.query('SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables ORDER BY 1')).toEqual([
      { hypertable_name: 'command_acks', compression_enabled: false },
      { hypertable_name: 'device_events', compression_enabled: true },
      { hypertable_name: 'readings', compression_enabled: true },
    ])
    expect(await db.query("SELECT hypertable_name, time_interval::text AS chunk FROM timescaledb_information.dimensions WHERE column_name = 'time' ORDER BY 1")).toEqual([
      { hypertable_name: 'command_acks', chunk: '7 days' },
      { hypertable_name: 'device_events', chunk: '7 days' },
      { hypertable_name: 'readings', chunk: '1 day' },
    ])
    expect(
      await db.query(
        "SELECT attname, segmentby_column_index AS segment, orderby_column_index AS orderby, orderby_asc AS asc FROM timescaledb_information.compression_settings WHERE hypertable_name = 'readings' ORDER BY attname",
      ),
    ).toEqual([
      { attname: 'device_id', segment: 2, orderby: null, asc: null },
      { attname: 'elder_id', segment: 1, orderby: null, asc: null },
      { attname: 'time', segment: null, orderby: 1, asc: false },
    ])
    expect(await db.query('SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates')).toEqual([
      { view_name: 'elder_activity_hourly', materialized_only: false },
    ])
    expect(await jobConfigs(db, 'policy_compression')).toEqual([
      { table: 'device_events', config: { compress_after: '30 days' } },
      { table: 'readings', config: { compress_after: '7 days' } },
    ])
    expect(await jobConfigs(db, 'policy_refresh_continuous_aggregate')).toEqual([{ table: expect.stringMatching(/^_materialized_hypertable_/), config: { start_offset: '3 days', end_offset: '01:00:00' } }])
    expect(await jobConfigs(db, 'policy_retention')).toEqual(['command_acks', 'device_events', 'readings'].map((table) => ({ table, config: { drop_after: '180 days' } })))
    // A restart with the same EG_RETENTION_DAYS leaves the policies alone (replacing them raced
    // the scheduler into deadlocks); a changed one replaces them instead of keeping the old one.
    const jobIds = async () => (await db.query<{ job_id: number }>("SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' ORDER BY job_id")).map((j) => j.job_id)
    const before = await jobIds()
    await setRetention(db, 180)
    expect(await jobIds()).toEqual(before)
    await setRetention(db, 90)
    expect(await jobIds()).not.toEqual(before)
    expect(await jobConfigs(db, 'policy_retention')).toEqual(['command_acks', 'device_events', 'readings'].map((table) => ({ table, config: { drop_after: '90 days' } })))
    await setRetention(db, 180)
  })

  it('stores telemetry through the batched writer into chunks and reads it back with the queries, once each', async () => {
    const at = (i: number) => hourNow - 3 * DAY_MS + i * 20 * 60_000 // every 20 min over 3 days: several 1-day chunks
    const over = { tenantId: 'tw', elderId: 'ew' }
    const watches = Array.from({ length: 216 }, (_, i) => watchReading(i, { ...over, deviceId: 'ww', ts: at(i) }))
    const cameras = Array.from({ length: 216 }, (_, i) => cameraReading(i, { ...over, deviceId: 'cw', ts: at(i) }))
    const events = Array.from({ length: 30 }, (_, i) => deviceEvent(i, { ...over, deviceId: 'ww', ts: at(i * 7) }))
    const acks = Array.from({ length: 10 }, (_, i) => commandAck(i, { ...over, deviceId: 'ww', ts: at(i * 5) }))
    await write(db, { readings: [...watches, ...cameras], events, acks })
    // QoS 1 resends: the hypertables' unique indexes (which include time) turn them away.
    await write(db, { readings: watches.slice(0, 50), events: events.slice(0, 5), acks })

    const range = { tenantId: 'tw', elderId: 'ew', from: at(0), to: at(216), limit: 10_000 }
    const byTimeThenDevice = (a: { ts: number; deviceId: string }, b: { ts: number; deviceId: string }) => a.ts - b.ts || a.deviceId.localeCompare(b.deviceId)
    expect(await queryReadings(db, range)).toEqual([...cameras, ...watches].sort(byTimeThenDevice))
    expect(await queryReadings(db, { ...range, kind: 'camera' })).toEqual(cameras)
    expect(await queryEvents(db, range)).toEqual(events)

    const streamed: Array<WatchReading | CameraReading | DeviceEvent> = []
    for await (const page of streamTenantInputs(db, { tenantId: 'tw', from: at(0), to: at(216), pageSize: 50 })) streamed.push(...page)
    expect(streamed).toHaveLength(watches.length + cameras.length + events.length)
    expect(streamed.map((r) => r.ts)).toEqual(streamed.map((r) => r.ts).sort((a, b) => a - b))

    const [acksStored] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM command_acks WHERE tenant_id = 'tw'")
    expect(acksStored?.n).toBe(acks.length)
    const [chunks] = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'readings' AND range_end > $1::timestamptz AND range_start < $2::timestamptz",
      [new Date(at(0)), new Date(at(216))],
    )
    expect(chunks?.n).toBeGreaterThanOrEqual(3)
  })

  it('answers hourly activity in real time, then from the materialised aggregate after a refresh, which also takes late readings in', async () => {
    const from = hourNow - 2 * DAY_MS
    const readings = Array.from({ length: 50 }, (_, i) =>
      watchReading(i, { tenantId: 'ta', elderId: 'ea', deviceId: 'wa', ts: from + i * 6 * 60_000, hr: 60 + ((i * 7) % 40), steps: 1000 + i * 37, ...(i % 3 === 0 ? {} : { lat: undefined, lon: undefined, acc: undefined, src: undefined }) }),
    )
    await write(db, { readings })
    const to = from + 5 * HOUR_MS
    const hourly = () => elderActivityHourly(db, 'ta', 'ea', from, to)
    expect(await hourly()).toEqual(expectedHours(readings))

    await db.query('CALL refresh_continuous_aggregate($1, $2::timestamptz, $3::timestamptz)', ['elder_activity_hourly', new Date(from), new Date(to)])
    await db.query('ALTER MATERIALIZED VIEW elder_activity_hourly SET (timescaledb.materialized_only = true)')
    try {
      expect(await hourly()).toEqual(expectedHours(readings))
      // A watch uploading its buffer late into a materialised hour shows after the next refresh.
      const late = watchReading(99, { tenantId: 'ta', elderId: 'ea', deviceId: 'wa', ts: from + 30 * 60_000 + 1_000, hr: 150, steps: 1100 })
      await write(db, { readings: [late] })
      expect(await hourly()).toEqual(expectedHours(readings))
      await db.query('CALL refresh_continuous_aggregate($1, $2::timestamptz, $3::timestamptz)', ['elder_activity_hourly', new Date(from), new Date(to)])
      expect(await hourly()).toEqual(expectedHours([...readings, late]))
    } finally {
      await db.query('ALTER MATERIALIZED VIEW elder_activity_hourly SET (timescaledb.materialized_only = false)')
    }
  })

  it('compresses chunks past 7 days and keeps reading and accepting into them; retention drops chunks past its days', async () => {
    const over = { tenantId: 'tc', elderId: 'ec', deviceId: 'wc' }
    const at = [20 * DAY_MS, 12 * DAY_MS, DAY_MS].map((age) => hourNow - age)
    const readings = at.flatMap((t, k) => Array.from({ length: 20 }, (_, i) => watchReading(k * 100 + i, { ...over, ts: t + i * 60_000 })))
    await write(db, { readings })
    const range = { tenantId: 'tc', elderId: 'ec', from: at[0]!, to: hourNow, limit: 1_000 }
    expect(await queryReadings(db, range)).toEqual(readings)

    await runJob(db, 'policy_compression', 'readings')
    const compressed = await db.query<{ old: boolean }>(
      "SELECT range_end < now() - interval '7 days' AS old FROM timescaledb_information.chunks WHERE hypertable_name = 'readings' AND is_compressed",
    )
    expect(compressed.length).toBeGreaterThanOrEqual(2)
    expect(compressed.every((c) => c.old)).toBe(true)
    expect(await queryReadings(db, range)).toEqual(readings)
    // A late upload into a compressed chunk is stored, and its resend still ignored.
    const late = watchReading(999, { ...over, ts: at[0]! + 30 * 60_000 + 500 })
    await write(db, { readings: [late, readings[0]!] })
    expect(await queryReadings(db, range)).toEqual([...readings, late].sort((a, b) => a.ts - b.ts))

    // The scheduler runs a policy as soon as it is added: the chunks older than 10 days go.
    await setRetention(db, 10)
    try {
      await waitFor(async () => (await queryReadings(db, range)).length === 20, 30_000, 'the retention policy to drop old chunks')
      expect(await queryReadings(db, range)).toEqual(readings.slice(40))
    } finally {
      await setRetention(db, 180)
    }
  })
})

const upgrade = suiteFor('health columns (019) on a TimescaleDB with compressed chunks', server)

describe.skipIf(upgrade.skip)(upgrade.title, () => {
  let database: TestDatabase
  let db: Db
  let dir: string

  beforeAll(async () => {
    upgrade.check()
    database = await createDatabaseOn(server.url!)
    db = await openDb({ databaseUrl: database.url, dataDir: 'unused', logger: silentLogger })
    expect(await resolveTimescale(db, 'auto', silentLogger)).toBe(true)
    // The database as a gateway before 019 left it: hypertables, compression, the aggregate.
    dir = mkdtempSync(join(tmpdir(), 'eg-migrations-'))
    for (const m of listMigrations().filter((m) => m.version < '019')) copyFileSync(join(migrationsDir, m.file), join(dir, m.file))
    await migrate(db, { timescale: true, dir })
  })
  afterAll(async () => {
    await db?.close()
    await database?.drop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('adds them while chunks are compressed; old rows read them as absent, late rows carrying them are stored, also once recompressed', async () => {
    const over = { tenantId: 'th', elderId: 'eh', deviceId: 'wh' }
    const at = [20 * DAY_MS, 12 * DAY_MS].map((age) => hourNow - age)
    // Odd fixture numbers: no health readings, which this schema cannot store yet.
    const old = at.flatMap((t, k) => Array.from({ length: 10 }, (_, i) => watchReading(2 * (k * 10 + i) + 1, { ...over, ts: t + i * 60_000 })))
    expect(old.some((r) => r.spo2 !== undefined)).toBe(false)
    await writeBefore021(db, old)
    await db.query("SELECT compress_chunk(c) FROM show_chunks('readings', older_than => interval '7 days') AS c")
    const compressedChunks = "SELECT count(*)::int AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'readings' AND is_compressed"
    expect((await db.query<{ n: number }>(compressedChunks))[0]?.n).toBe(2)

    expect(await migrate(db, { timescale: true })).toContain('019_health_readings')
    expect((await db.query<{ n: number }>(compressedChunks))[0]?.n).toBe(2)
    const range = { tenantId: 'th', elderId: 'eh', from: at[0]!, to: hourNow + HOUR_MS, limit: 1_000 }
    expect(await queryReadings(db, range)).toStrictEqual(old)

    // A watch uploading its buffer late: health readings into the compressed chunks' time range, and a fresh one.
    const late = [
      watchReading(4, { ...over, ts: at[0]! + 30 * 60_000 }),
      watchReading(8, { ...over, ts: at[1]! + 30 * 60_000, lat: undefined, lon: undefined, sys: 171, dia: 99 }),
      { kind: 'watch' as const, ...over, ts: hourNow - DAY_MS, spo2: 93, temp: 38.2 },
    ]
    expect(late.every((r) => r.spo2 !== undefined || r.sys !== undefined)).toBe(true)
    await write(db, { readings: late })
    const all = [...old, ...late].sort((a, b) => a.ts - b.ts)
    expect(await queryReadings(db, range)).toEqual(all)

    // Recompressed with the late rows: the new columns hold their values compressed too.
    await db.query("SELECT compress_chunk(c) FROM show_chunks('readings', older_than => interval '7 days') AS c")
    expect(await queryReadings(db, range)).toEqual(all)
    await db.query("SELECT decompress_chunk(c) FROM show_chunks('readings', older_than => interval '7 days') AS c")
    expect(await queryReadings(db, range)).toEqual(all)
    // The continuous aggregate over readings still answers.
    expect((await elderActivityHourly(db, 'th', 'eh', hourNow - DAY_MS - HOUR_MS, hourNow)).map((h) => h.readings)).toEqual([1])
  })
})
