import pg from 'pg'
import { lockReadings, type ReadingsLock } from '../../../test/support/stall'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { CameraReading, WatchReading } from '../../../rules/src/input'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { T0, cameraReading, commandAck, countRows, deviceEvent, emptyTables, waitFor, watchReading } from '../../../test/support/telemetry'
import { createMetrics, type Metrics } from '../../src/metrics'
import type { Db } from '../../src/storage/db'
import { pgJson } from '../../src/storage/telemetry-sql'
import { createTelemetryWriter, type TelemetryWriter } from '../../src/storage/telemetry-writer'

async function counter(metrics: Metrics, name: 'writerRetries' | 'rowsPersisted', table?: string): Promise<number> {
  const { values } = await metrics[name].get()
  return values.filter((v) => table === undefined || v.labels.table === table).reduce((sum, v) => sum + v.value, 0)
}

/**
 * Makes the database stall for the writer: on PostgreSQL another connection holds an exclusive
 * lock on readings (inserts wait on it); PGlite has one connection, so an open transaction holds it.
 */
async function stallDatabase(backend: OpenedBackend): Promise<ReadingsLock> {
  if (backend.url !== undefined) return lockReadings(backend.url)
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  let started!: () => void
  const inside = new Promise<void>((resolve) => (started = resolve))
  const done = backend.db.transaction(async () => {
    started()
    await held
  })
  await inside
  return {
    // The writer's statement queues behind the open transaction as soon as it is sent.
    writerWaiting: async () => true,
    async release() {
      release()
      await done
    },
  }
}

interface Gate {
  sql: string
  open: () => void
}

/** The real database behind a gate: each statement waits in `gates` until the test opens it. */
function gatedDb(db: Db, gates: Gate[]): Db {
  return {
    ...db,
    async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      await new Promise<void>((open) => gates.push({ sql, open }))
      return db.query<R>(sql, params)
    },
  }
}

describe.each(backends)('telemetry writer on $name', (backend) => {
  let opened: OpenedBackend
  let db: Db
  let metrics: Metrics
  let writer: TelemetryWriter | undefined

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
  })
  afterAll(() => opened.cleanup())
  beforeEach(async () => {
    await emptyTables(db)
    metrics = createMetrics()
  })
  afterEach(async () => {
    await writer?.close()
    writer = undefined
  })

  it('persists thousands of mixed records once each, in bounded batches, with their values', async () => {
    writer = createTelemetryWriter(db, { batchSize: 250, flushMs: 20, bufferCapacity: 100_000, logger: silentLogger, metrics })
    const watches = Array.from({ length: 3000 }, (_, i) => watchReading(i))
    const cameras = Array.from({ length: 1500 }, (_, i) => cameraReading(i))
    const events = Array.from({ length: 400 }, (_, i) => deviceEvent(i))
    const acks = Array.from({ length: 300 }, (_, i) => commandAck(i))
    for (let i = 0; i < 3000; i += 30) {
      const j = i / 2
      expect(writer.push({ readings: [...watches.slice(i, i + 30), ...cameras.slice(j, j + 15)], events: events.slice(i / 7.5, i / 7.5 + 4), acks: acks.slice(i / 10, i / 10 + 3) })).toBeUndefined()
    }
    // QoS 1 resends: the same records again are ignored by the unique keys.
    writer.push({ readings: [...watches.slice(0, 500), ...cameras.slice(0, 100)], events: events.slice(0, 50), acks: acks.slice(0, 50) })
    await writer.flush()
    expect(writer.depth()).toBe(0)
    expect(await countRows(db, 'readings')).toBe(4500)
    expect(await countRows(db, 'device_events')).toBe(400)
    expect(await countRows(db, 'command_acks')).toBe(300)
    expect(await counter(metrics, 'rowsPersisted', 'readings')).toBe(4500)
    expect(await counter(metrics, 'rowsPersisted', 'device_events')).toBe(400)
    expect(await counter(metrics, 'rowsPersisted', 'command_acks')).toBe(300)

    const [w] = await db.query<Record<string, unknown>>(
      "SELECT (extract(epoch FROM time) * 1000)::int8 AS ts, * FROM readings WHERE device_id = 'w2' AND time = timestamptz 'epoch' + $1::float8 * interval '1 millisecond'",
      [T0 + 1234 * 1000],
    )
    const expected = watchReading(1234)
    expect(w).toMatchObject({ ts: expected.ts, tenant_id: 't1', elder_id: 'e2', kind: 'watch', lat: expected.lat, lon: expected.lon, acc: 12.5, src: 'gps', hr: expected.hr, steps: expected.steps, bat: expected.bat, worn: true, presence: null, persons: null, spo2: null, sys: null, dia: null, temp: null })
    const measured = watchReading(1236)
    const [h] = await db.query<Record<string, unknown>>(
      "SELECT spo2, sys, dia, temp, hr FROM readings WHERE device_id = 'w4' AND time = timestamptz 'epoch' + $1::float8 * interval '1 millisecond'",
      [measured.ts],
    )
    expect(measured.temp).toBeDefined()
    expect(h).toEqual({ spo2: measured.spo2, sys: measured.sys, dia: measured.dia, temp: measured.temp, hr: measured.hr })
    const [c] = await db.query<Record<string, unknown>>("SELECT * FROM readings WHERE device_id = 'c5' ORDER BY time LIMIT 1")
    expect(c).toMatchObject({ kind: 'camera', presence: true, persons: 1, strangers: 1, motion: true, lat: null, hr: null })
    const [e] = await db.query<Record<string, unknown>>("SELECT * FROM device_events WHERE device_id = 'w1' ORDER BY time LIMIT 1")
    expect(e).toMatchObject({ device_kind: 'watch', type: 'fall', detail: { seq: 1, note: 'ok' }, elder_id: 'e1' })
    const [a] = await db.query<Record<string, unknown>>("SELECT * FROM command_acks WHERE command_id = 'cmd-42'")
    expect(a).toMatchObject({ device_id: 'w0', status: 'played', tenant_id: 't1' })

    // Every batch held at most batchSize rows (bucket le=250 counts all observations).
    const { values } = await metrics.batchSize.get()
    const total = values.find((v) => v.metricName === 'eg_writer_batch_rows_count')?.value
    const atMost250 = values.find((v) => v.metricName === 'eg_writer_batch_rows_bucket' && v.labels.le === 250)?.value
    expect(total).toBeGreaterThanOrEqual(Math.ceil(5800 / 250))
    expect(atMost250).toBe(total)
  })

  it('sends the health columns only in a batch where some reading carries one', async () => {
    // Parameters per INSERT: one array per column.
    const sent: number[] = []
    const spy: Db = {
      ...db,
      kind: db.kind,
      query: (sql, params) => {
        if (sql.startsWith('WITH')) sent.push(params?.length ?? 0)
        return db.query(sql, params)
      },
    }
    writer = createTelemetryWriter(spy, { batchSize: 1000, flushMs: 0, bufferCapacity: 10_000, logger: silentLogger, metrics })
    // Without health readings: the 17 columns of 002. With one among them: 21 for every row.
    // Devices new to the writer add 4 (their (elder, device) pairs, migration 021); known ones nothing.
    await writer.push({ readings: [watchReading(1), cameraReading(2)] }, { durable: true })
    await writer.push({ readings: [watchReading(3), watchReading(4), cameraReading(5)] }, { durable: true })
    await writer.push({ readings: [watchReading(9, { deviceId: 'w1', elderId: 'e1' }), cameraReading(6, { deviceId: 'c2', elderId: 'e2' })] }, { durable: true })
    expect(sent).toEqual([17 + 4, 21 + 4, 17])
    const rows = await db.query<{ device_id: string; spo2: number | null; temp: number | null }>('SELECT device_id, spo2, temp FROM readings ORDER BY time')
    expect(rows).toEqual([
      { device_id: 'w1', spo2: null, temp: null },
      { device_id: 'c2', spo2: null, temp: null },
      { device_id: 'w3', spo2: null, temp: null },
      { device_id: 'w4', spo2: watchReading(4).spo2, temp: watchReading(4).temp },
      { device_id: 'c5', spo2: null, temp: null },
      { device_id: 'c2', spo2: null, temp: null },
      { device_id: 'w1', spo2: null, temp: null },
    ])
  })

  it.runIf(backend.name === 'postgres')('runs one statement at a time under a steady stream; a second only for events or a full batch waiting', async () => {
    const gates: Gate[] = []
    const gated = gatedDb(db, gates)
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
    }
    writer = createTelemetryWriter(gated, { batchSize: 100, flushMs: 0, bufferCapacity: 10_000, logger: silentLogger, metrics })
    const acked: Array<Promise<void>> = []
    const push = (batch: Parameters<TelemetryWriter['push']>[0]) => acked.push(writer!.push(batch, { durable: true }) as Promise<void>)
    push({ readings: [watchReading(0)] })
    await waitFor(() => gates.length === 1, 2_000, 'the first statement')
    // Readings keep coming while it runs: they wait for it and go out together in the next one.
    for (let i = 1; i <= 60; i++) push({ readings: [watchReading(i)] })
    await turns(3)
    expect(gates.length).toBe(1)
    // An SOS does not wait behind a statement of readings.
    push({ events: [deviceEvent(1)] })
    await waitFor(() => gates.length === 2, 2_000, 'a second statement for the event')
    expect(gates[1]!.sql).toContain('INSERT INTO device_events')
    // Both in flight: nothing more starts, whatever waits (the limit is 2).
    for (let i = 61; i <= 300; i++) push({ readings: [watchReading(i)] })
    await turns(3)
    expect(gates.length).toBe(2)
    gates[0]!.open()
    // A slot is free and a full batch (100) waits: the catch-up statement starts beside the other.
    await waitFor(() => gates.length === 3, 2_000, 'a catch-up statement beside the held one')
    gates[2]!.open()
    await waitFor(() => gates.length === 4, 2_000, 'the next, while a full batch still waits')
    // Let everything through and check nothing was lost or doubled.
    const drain = setInterval(() => gates.forEach((g) => g.open()), 5)
    try {
      await Promise.all(acked)
    } finally {
      clearInterval(drain)
    }
    expect(await countRows(db, 'readings')).toBe(301)
    expect(await countRows(db, 'device_events')).toBe(1)
  })

  it('releases each durable push with the commit of its own rows: not before, and in push order', async () => {
    const gates: Gate[] = []
    const gated = gatedDb(db, gates)
    writer = createTelemetryWriter(gated, { batchSize: 100, flushMs: 0, bufferCapacity: 10_000, logger: silentLogger, metrics, concurrency: 1 })
    const released: string[] = []
    const push = (name: string, batch: Parameters<TelemetryWriter['push']>[0]) =>
      (writer!.push(batch, { durable: true }) as Promise<void>).then(() => released.push(name))
    // Two pushes in one turn go out in the first statement.
    const a = push('a', { readings: [watchReading(0)] })
    const b = push('b', { readings: [watchReading(1), watchReading(2)] })
    await waitFor(() => gates.length === 1, 2_000, 'the first statement')
    // Pushed while it runs: the next statement's rows, so not released by the first commit.
    const c = push('c', { readings: [watchReading(3)] })
    const d = push('d', { readings: [watchReading(4)] })
    gates[0]!.open()
    await Promise.all([a, b])
    await waitFor(() => gates.length === 2, 2_000, 'the second statement')
    expect(released).toEqual(['a', 'b'])
    expect(await countRows(db, 'readings')).toBe(3)
    gates[1]!.open()
    await Promise.all([c, d])
    expect(released).toEqual(['a', 'b', 'c', 'd'])
    expect(await countRows(db, 'readings')).toBe(5)
  })

  it('writes a partial batch after flushMs without being asked', async () => {
    writer = createTelemetryWriter(db, { batchSize: 1000, flushMs: 50, bufferCapacity: 10_000, logger: silentLogger, metrics })
    const pushedAt = Date.now()
    writer.push({ readings: [watchReading(1), watchReading(2), cameraReading(3)], events: [deviceEvent(4)] })
    await waitFor(async () => (await countRows(db, 'readings')) === 3, 10_000, 'the timed flush')
    expect(Date.now() - pushedAt).toBeGreaterThanOrEqual(45)
    expect(await countRows(db, 'device_events')).toBe(1)
    expect(writer.depth()).toBe(0)
  })

  it('backpressures when the database stalls and the buffer fills, then loses nothing', async () => {
    writer = createTelemetryWriter(db, { batchSize: 10, flushMs: 5, bufferCapacity: 30, logger: silentLogger, metrics })
    const stall = await stallDatabase(opened)
    const all: Array<WatchReading | CameraReading> = Array.from({ length: 100 }, (_, i) => watchReading(i))
    expect(writer.push({ readings: all.slice(0, 10) })).toBeUndefined()
    expect(writer.push({ readings: all.slice(10, 20) })).toBeUndefined()
    const full = writer.push({ readings: all.slice(20, 30) })
    expect(full).toBeInstanceOf(Promise)
    let roomAgain = false
    void full?.then(() => (roomAgain = true))
    if (opened.url !== undefined) {
      // The writer's INSERT is really waiting on the lock (not merely not yet sent).
      await waitFor(() => stall.writerWaiting(), 10_000, 'the INSERT to wait on the lock')
    }
    // Other producers keep pushing: still accepted (never dropped), each told to wait.
    for (let i = 30; i < 100; i += 10) expect(writer.push({ readings: all.slice(i, i + 10) })).toBeInstanceOf(Promise)
    expect(writer.depth()).toBe(100)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(roomAgain).toBe(false)
    await stall.release()
    await full
    await writer.flush()
    expect(await countRows(db, 'readings')).toBe(100)
    const back = await db.query<{ device_id: string; ms: number }>('SELECT device_id, (extract(epoch FROM time) * 1000)::int8 AS ms FROM readings ORDER BY time')
    expect(back.map((r) => [r.device_id, r.ms])).toEqual(all.map((r) => [r.deviceId, r.ts]))
  })

  it('retries a failing batch with backoff and keeps it until it commits', async () => {
    let failures = 3
    const flaky: Db = {
      ...db,
      kind: db.kind,
      query: (sql, params) => (sql.startsWith('WITH') && failures-- > 0 ? Promise.reject(new Error('connection reset')) : db.query(sql, params)),
    }
    const delays: number[] = []
    writer = createTelemetryWriter(flaky, {
      batchSize: 50, flushMs: 5, bufferCapacity: 1000, logger: silentLogger, metrics,
      retryDelayMs: (attempt) => (delays.push(attempt), 1),
    })
    writer.push({ readings: [watchReading(1), watchReading(2)], acks: [commandAck(1)] })
    await writer.flush()
    expect(delays).toEqual([0, 1, 2])
    expect(await counter(metrics, 'writerRetries')).toBe(3)
    expect(await countRows(db, 'readings')).toBe(2)
    expect(await countRows(db, 'command_acks')).toBe(1)
  })

  it('fits values the columns would reject instead of wedging on them', async () => {
    writer = createTelemetryWriter(db, { batchSize: 50, flushMs: 5, bufferCapacity: 1000, logger: silentLogger, metrics })
    writer.push({
      readings: [watchReading(1, { hr: 72.6, bat: 55.5, steps: 5e9, deviceId: 'w\u0000x' })],
      events: [
        deviceEvent(2, { detail: { 'k\u0000': 'a\u0000b', lone: '\ud800', fine: 'π' } }),
        deviceEvent(3, { detail: { quote: 'say "hi"', path: 'C:\\temp', braces: '{a,b}', nothing: null } }),
      ],
      acks: [commandAck(3, { commandId: 'id\u0000' }), commandAck(4, { commandId: 'NULL' }), commandAck(5, { commandId: '"q\\,{} ' }), commandAck(6, { commandId: '' })],
    })
    await writer.flush()
    const [r] = await db.query<{ hr: number; bat: number; steps: number; device_id: string }>('SELECT hr, bat, steps, device_id FROM readings')
    expect(r).toEqual({ hr: 73, bat: 56, steps: 2147483647, device_id: 'w\ufffdx' })
    const [e] = await db.query<{ detail: unknown }>('SELECT detail FROM device_events ORDER BY time')
    expect(e?.detail).toEqual({ 'k\ufffd': 'a\ufffdb', lone: '\ufffd', fine: 'π' })
    const details = await db.query<{ detail: unknown }>('SELECT detail FROM device_events ORDER BY time')
    expect(details[1]?.detail).toEqual({ quote: 'say "hi"', path: 'C:\\temp', braces: '{a,b}', nothing: null })
    // Array-literal syntax inside text stays text: quotes, backslashes, commas, braces, "NULL", "".
    const ids = await db.query<{ command_id: string }>('SELECT command_id FROM command_acks ORDER BY time')
    expect(ids.map((a) => a.command_id)).toEqual(['id\ufffd', 'NULL', '"q\\,{} ', ''])
    expect(pgJson({ a: 1 })).toBe('{"a":1}')
  })
})

describe('telemetry writer on postgres whose connections are killed', () => {
  const postgres = backends.find((b) => b.name === 'postgres')!

  it('commits every accepted reading exactly once', async () => {
    const opened = await postgres.open()
    const metrics = createMetrics()
    const admin = new pg.Client({ connectionString: opened.url })
    await admin.connect()
    const writer = createTelemetryWriter(opened.db, {
      batchSize: 200, flushMs: 10, bufferCapacity: 2_000, logger: silentLogger, metrics,
      retryDelayMs: (attempt) => Math.min(5 * 2 ** attempt, 100),
    })
    try {
      const total = 20_000
      let kills = 0
      let killer: Promise<void> | undefined
      // Kills every connection of the writer's database every 20 ms for 1.5 s, mid-stream.
      const killFor = async (ms: number) => {
        const until = Date.now() + ms
        while (Date.now() < until) {
          const rows = await admin.query<{ ok: boolean }>(
            'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
          )
          kills += rows.rows.filter((r) => r.ok).length
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      }
      for (let i = 0; i < total; i += 20) {
        if (i === 2_000) killer = killFor(1_500)
        const batch = Array.from({ length: 20 }, (_, k) => watchReading(i + k, { deviceId: `w${(i + k) % 13}`, elderId: 'e1' }))
        const wait = writer.push({ readings: batch })
        if (wait) await wait
      }
      await killer
      await writer.flush()
      expect(kills).toBeGreaterThan(0)
      expect(await counter(metrics, 'writerRetries')).toBeGreaterThan(0)
      const [row] = await opened.db.query<{ n: number; distinct_n: number; min_ms: number; max_ms: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT (device_id, time))::int AS distinct_n,
                (extract(epoch FROM min(time)) * 1000)::int8 AS min_ms, (extract(epoch FROM max(time)) * 1000)::int8 AS max_ms FROM readings`,
      )
      expect(row).toEqual({ n: total, distinct_n: total, min_ms: T0, max_ms: T0 + (total - 1) * 1000 })
      expect(await counter(metrics, 'rowsPersisted', 'readings')).toBeLessThanOrEqual(total)
    } finally {
      await writer.close()
      await admin.end()
      await opened.cleanup()
    }
  })
})
