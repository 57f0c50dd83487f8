import { lockReadings } from '../../../test/support/stall'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { T0, commandAck, countRows, deviceEvent, emptyTables, waitFor, watchReading } from '../../../test/support/telemetry'
import { createMetrics, type Metrics } from '../../src/metrics'
import { createDeadLetterStore, type DeadLetterStore } from '../../src/storage/dead-letters'
import type { Db } from '../../src/storage/db'
import { createTelemetryWriter, type TelemetryWriter } from '../../src/storage/telemetry-writer'

/**
 * What a PUBACK waits for (DESIGN §3 "Acceptance is durable"): a durable push resolves only once
 * its rows are committed, or refused rows are committed as dead letters — and a hostile row
 * never stops the rows of other devices.
 */

/** An event whose detail JSON.stringify cannot serialise (RangeError: call stack exceeded). */
function deeplyNested(levels: number): Record<string, unknown> {
  let inner: Record<string, unknown> = { leaf: true }
  for (let i = 0; i < levels; i++) inner = { x: inner }
  return inner
}

describe.each(backends)('durable telemetry writer on $name', (backend) => {
  let opened: OpenedBackend
  let db: Db
  let metrics: Metrics
  let writer: TelemetryWriter | undefined
  let letters: DeadLetterStore | undefined

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
  })
  afterAll(() => opened.cleanup())
  beforeEach(async () => {
    await emptyTables(db)
    await db.query('DELETE FROM dead_letters')
    metrics = createMetrics()
    letters = createDeadLetterStore(db, { maxRows: 1000, payloadBytes: 512, logger: silentLogger })
  })
  afterEach(async () => {
    await writer?.close()
    await letters?.close()
    writer = undefined
  })

  it('resolves a durable push only when its rows are committed, in push order', async () => {
    writer = createTelemetryWriter(db, { batchSize: 500, flushMs: 0, bufferCapacity: 10_000, logger: silentLogger, metrics })
    const order: number[] = []
    const pushes = Array.from({ length: 50 }, (_, i) => {
      const p = writer!.push({ readings: [watchReading(i * 2), watchReading(i * 2 + 1)], ...(i % 10 === 0 ? { events: [deviceEvent(i)] } : {}) }, { durable: true })
      expect(p).toBeInstanceOf(Promise)
      return (p as Promise<void>).then(async () => {
        order.push(i)
        // At the moment a push resolves, its own rows are in the table.
        const rows = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM readings WHERE time IN (timestamptz 'epoch' + $1::float8 * interval '1 millisecond', timestamptz 'epoch' + $2::float8 * interval '1 millisecond')",
          [T0 + i * 2 * 1000, T0 + (i * 2 + 1) * 1000],
        )
        expect(rows[0]!.n).toBe(2)
      })
    })
    await Promise.all(pushes)
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(await countRows(db, 'readings')).toBe(100)
    expect(await countRows(db, 'device_events')).toBe(5)
    expect(writer.oldestPendingAt()).toBeUndefined()
  })

  it.runIf(backend.name === 'postgres')('holds a durable push while the database is stalled and reports how old the oldest unstored row is', async () => {
    let clock = 1_000_000
    writer = createTelemetryWriter(db, { batchSize: 500, flushMs: 0, bufferCapacity: 10_000, logger: silentLogger, metrics, now: () => clock })
    const stall = await lockReadings(opened.url!)
    let done = false
    const pending = writer.push({ readings: [watchReading(1)] }, { durable: true }) as Promise<void>
    void pending.then(() => (done = true))
    await waitFor(() => stall.writerWaiting(), 10_000, 'the INSERT to wait on the lock')
    clock += 42_000
    expect(done).toBe(false)
    expect(writer.oldestPendingAt()).toBe(1_000_000)
    const gauge = (await metrics.registry.getSingleMetricAsString('eg_writer_oldest_unstored_seconds')).split('\n').at(-1)
    expect(gauge).toBe('eg_writer_oldest_unstored_seconds 42')
    await stall.release()
    await pending
    expect(await countRows(db, 'readings')).toBe(1)
    expect(writer.oldestPendingAt()).toBeUndefined()
  })

  it('isolates rows the database or the serialiser refuses: they become dead letters, the rest of the batch is stored', async () => {
    writer = createTelemetryWriter(db, { batchSize: 1000, flushMs: 5, bufferCapacity: 10_000, logger: silentLogger, metrics, refused: letters! })
    const good = Array.from({ length: 300 }, (_, i) => watchReading(i, { deviceId: `good${i % 5}` }))
    // Two poisons of different kinds among them: a detail too deep to stringify (RangeError
    // before the database sees it) and an event time the timestamptz column cannot hold (22008).
    const poisonDeep = deviceEvent(7, { deviceId: 'evil-deep', type: 'sos', detail: deeplyNested(20_000) })
    const poisonTime = watchReading(9, { deviceId: 'evil-time', ts: 1e300 })
    const results = [
      writer.push({ readings: good.slice(0, 100) }, { durable: true }),
      writer.push({ events: [poisonDeep, deviceEvent(8, { deviceId: 'good-event' })] }, { durable: true }),
      writer.push({ readings: [...good.slice(100, 200), poisonTime] }, { durable: true }),
      writer.push({ readings: good.slice(200), acks: [commandAck(1)] }, { durable: true }),
    ]
    await Promise.all(results)
    expect(await countRows(db, 'readings')).toBe(300)
    expect(await countRows(db, 'device_events')).toBe(1)
    expect(await countRows(db, 'command_acks')).toBe(1)
    // Durable: the letters are committed by the time the pushes resolved.
    const rows = await db.query<{ device_id: string; reason: string; message: string; channel: string }>(
      'SELECT device_id, reason, message, channel FROM dead_letters ORDER BY device_id',
    )
    expect(rows.map((r) => [r.device_id, r.reason, r.channel])).toEqual([
      ['evil-deep', 'storage_refused', 'event'],
      ['evil-time', 'storage_refused', 'telemetry'],
    ])
    expect(rows[0]!.message).toMatch(/^RangeError/)
    expect(rows[1]!.message).toMatch(/^22008|out of range/)
    const refused = await metrics.writerRowsRefused.get()
    expect(refused.values.reduce((s, v) => s + v.value, 0)).toBe(2)

    // The writer is not wedged: later rows of everyone go through at once.
    await writer.push({ readings: [watchReading(5000, { deviceId: 'later' })] }, { durable: true })
    expect(await countRows(db, 'readings')).toBe(301)
  })

  it.runIf(backend.name === 'postgres')('keeps durable dead letters while the database is away and commits them before resolving', async () => {
    const flaky = { down: true }
    const gated: Db = { ...db, kind: db.kind, query: (sql, params) => (flaky.down ? Promise.reject(new Error('Connection terminated unexpectedly')) : db.query(sql, params)) }
    const store = createDeadLetterStore(gated, { maxRows: 1000, payloadBytes: 512, logger: silentLogger, maxBuffered: 3, flushMs: 10 })
    try {
      let resolved = 0
      const durable = Array.from({ length: 5 }, (_, i) =>
        (store.record({ deviceId: `d${i}`, channel: 'telemetry', reason: 'bad_shape', message: 'x', payload: Buffer.from('{}') }, { durable: true }) as Promise<void>).then(() => resolved++),
      )
      // Best-effort letters beyond the bound are dropped; durable ones never are.
      for (let i = 0; i < 10; i++) store.record({ deviceId: `q${i}`, channel: 'telemetry', reason: 'not_json', message: 'x', payload: Buffer.from('?') })
      await waitFor(() => store.dropped() >= 7 || undefined, 5_000, 'best-effort letters dropped')
      expect(resolved).toBe(0)
      flaky.down = false
      await Promise.all(durable)
      const rows = await db.query<{ device_id: string }>("SELECT device_id FROM dead_letters WHERE device_id LIKE 'd%' ORDER BY device_id")
      expect(rows.map((r) => r.device_id)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4'])
    } finally {
      await store.close()
    }
  })
})
