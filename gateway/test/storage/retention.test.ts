import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { commandAck, countRows, deviceEvent, emptyTables, waitFor, watchReading } from '../../../test/support/telemetry'
import { createMetrics } from '../../src/metrics'
import type { Db } from '../../src/storage/db'
import { applyRetention, startRetentionJob } from '../../src/storage/retention'
import { createTelemetryWriter } from '../../src/storage/telemetry-writer'

const DAY = 86_400_000

/** 25 rows per table older than 30 days and 10 within them (retention is relative to now). */
async function writeAges(db: Db): Promise<void> {
  const writer = createTelemetryWriter(db, { batchSize: 100, flushMs: 10, bufferCapacity: 10_000, logger: silentLogger, metrics: createMetrics() })
  const now = Date.now()
  const ages = [...Array.from({ length: 25 }, (_, i) => 31 * DAY + i * 60_000), ...Array.from({ length: 10 }, (_, i) => 29 * DAY - i * 60_000)]
  writer.push({
    readings: ages.map((age, i) => watchReading(i, { ts: now - age })),
    events: ages.map((age, i) => deviceEvent(i, { ts: now - age })),
    acks: ages.map((age, i) => commandAck(i, { ts: now - age })),
  })
  await writer.close()
}

// The TimescaleDB branch (policies) is tested on a real TimescaleDB in migrate-timescale.test.ts.

describe.each(backends)('retention (plain) on $name', (backend) => {
  let opened: OpenedBackend
  let db: Db

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
  })
  afterAll(() => opened.cleanup())
  beforeEach(() => emptyTables(db))

  it('deletes rows older than N days in bounded chunks and keeps the recent ones', async () => {
    await writeAges(db)
    const deleted = await applyRetention(db, { days: 30, timescale: false, chunkRows: 7 })
    expect(deleted).toEqual({ readings: 25, device_events: 25, command_acks: 25 })
    expect(await countRows(db, 'readings')).toBe(10)
    expect(await countRows(db, 'device_events')).toBe(10)
    expect(await countRows(db, 'command_acks')).toBe(10)
    const [oldest] = await db.query<{ ok: boolean }>("SELECT min(time) > now() - interval '30 days' AS ok FROM readings")
    expect(oldest?.ok).toBe(true)
    expect(await applyRetention(db, { days: 30, timescale: false })).toEqual({ readings: 0, device_events: 0, command_acks: 0 })
  })

  it('runs as a job at start and then on its interval', async () => {
    const job = startRetentionJob(db, { days: 30, timescale: false, intervalMs: 50, logger: silentLogger })
    try {
      await writeAges(db)
      // All three tables: the writer commits them in separate statements, so a round of the job
      // may run between them (it prunes the rest on its next round) — wait for the state, not a round.
      const counts = async () => [await countRows(db, 'readings'), await countRows(db, 'device_events'), await countRows(db, 'command_acks')]
      await waitFor(async () => (await counts()).every((n) => n === 10), 10_000, 'the job to prune')
      expect(await counts()).toEqual([10, 10, 10])
    } finally {
      await job.stop()
    }
  })
})
