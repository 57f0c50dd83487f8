import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { backends, silentLogger } from '../../../test/support/databases'
import { countRows, watchReading } from '../../../test/support/telemetry'
import { loadConfig } from '../../src/config'
import { createMetrics } from '../../src/metrics'
import { openDb, type Db } from '../../src/storage/db'
import { telemetryInsertName } from '../../src/storage/telemetry-sql'
import { createTelemetryWriter } from '../../src/storage/telemetry-writer'

/**
 * How the writer's statements reach PostgreSQL: a named prepared statement per form (planned once
 * per connection, prepared again on a new one), float columns as binary arrays, and nothing
 * prepared with EG_PG_PREPARED=off.
 */
describe('telemetry writer statements on postgres', () => {
  const postgres = backends.find((b) => b.name === 'postgres')!

  it('prepares nothing with EG_PG_PREPARED=off (a pooler in transaction mode), and stores the same', async () => {
    expect(loadConfig({}).EG_PG_PREPARED).toBe('on')
    expect(loadConfig({ EG_PG_PREPARED: 'off' }).EG_PG_PREPARED).toBe('off')
    expect(() => loadConfig({ EG_PG_PREPARED: 'no' })).toThrow(/^EG_PG_PREPARED="no": /)
    const opened = await postgres.open()
    const db = await openDb({ databaseUrl: opened.url, dataDir: '', logger: silentLogger, poolSize: 1, prepared: false })
    const writer = createTelemetryWriter(db, { batchSize: 100, flushMs: 0, bufferCapacity: 10_000, logger: silentLogger, metrics: createMetrics() })
    try {
      for (let i = 0; i < 6; i++) await writer.push({ readings: [watchReading(i, { deviceId: 'w1', elderId: 'e1' })] }, { durable: true })
      expect(await db.query('SELECT name FROM pg_prepared_statements')).toEqual([])
      expect(await countRows(db, 'readings')).toBe(6)
    } finally {
      await writer.close()
      await db.close()
      await opened.cleanup()
    }
  })

  it('runs its INSERT as a prepared statement, re-prepared on a new connection after the old one is killed', async () => {
    const opened = await postgres.open()
    // One connection, so the catalogue query below sees the writer's session.
    const db = await openDb({ databaseUrl: opened.url, dataDir: '', logger: silentLogger, poolSize: 1 })
    const admin = new pg.Client({ connectionString: opened.url })
    await admin.connect()
    // The writer's parameters, seen on the way: float columns travel as binary arrays (Buffers).
    const sent: unknown[][] = []
    const seen: Db = { ...db, kind: db.kind, query: (sql, params, opts) => (sql.startsWith('WITH') && sent.push([...(params ?? [])]), db.query(sql, params, opts)) }
    const writer = createTelemetryWriter(seen, { batchSize: 100, flushMs: 0, bufferCapacity: 10_000, logger: silentLogger, metrics: createMetrics(), retryDelayMs: () => 10 })
    const prepared = async () =>
      (await db.query<{ name: string; calls: number }>("SELECT name, generic_plans + custom_plans AS calls FROM pg_prepared_statements WHERE name LIKE 'eg_telemetry_%' ORDER BY name"))
    try {
      for (let i = 0; i < 10; i++) await writer.push({ readings: [watchReading(i, { deviceId: 'w1', elderId: 'e1' })] }, { durable: true })
      const before = await prepared()
      // One statement per form (the first batch also records the device's (elder, device) pair;
      // some readings carry health columns), every batch through one of them.
      expect(before.length).toBeGreaterThanOrEqual(2)
      expect(before.map((p) => p.name)).toContain(telemetryInsertName(true, false, false, false, false, false))
      expect(before.every((p) => /^eg_telemetry_\d+$/.test(p.name))).toBe(true)
      expect(before.reduce((n, p) => n + p.calls, 0)).toBe(10)
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
      for (let i = 10; i < 15; i++) await writer.push({ readings: [watchReading(i, { deviceId: 'w1', elderId: 'e1' })] }, { durable: true })
      // A new session: the statement was prepared again there, and every reading is stored.
      const after = await prepared()
      expect(after.reduce((n, p) => n + p.calls, 0)).toBe(5)
      expect(await countRows(db, 'readings')).toBe(15)
      // time, lat, lon, acc: binary; the rest text literals (readingColumns order, telemetry-sql.ts).
      const kinds = sent[0]!.slice(0, 8).map((p) => (Buffer.isBuffer(p) ? 'binary' : typeof p))
      expect(kinds).toEqual(['binary', 'string', 'string', 'string', 'string', 'binary', 'binary', 'binary'])
      const [stored] = await db.query<{ ms: number; lat: number; lon: number; acc: number }>(
        "SELECT (extract(epoch FROM time) * 1000)::int8 AS ms, lat, lon, acc FROM readings ORDER BY time LIMIT 1",
      )
      const first = watchReading(0, { deviceId: 'w1', elderId: 'e1' })
      expect(stored).toEqual({ ms: first.ts, lat: first.lat, lon: first.lon, acc: first.acc })
    } finally {
      await writer.close()
      await db.close()
      await admin.end()
      await opened.cleanup()
    }
  })
})
