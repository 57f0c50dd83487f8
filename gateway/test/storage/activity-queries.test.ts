import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CameraReading, WatchReading } from '../../../rules/src/input'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { createMetrics } from '../../src/metrics'
import { alertDailyCounts, elderActivityHourly } from '../../src/storage/activity-queries'
import type { Db } from '../../src/storage/db'
import { createTelemetryWriter } from '../../src/storage/telemetry-writer'
import { seedAlert, seedElder } from '../reports/fixtures'

/** The chart reads of migration 011's aggregates, over readings stored by the real writer. */
const H8 = Date.parse('2026-11-02T08:00:00Z')
const H9 = H8 + 3_600_000
const MIN = 60_000

const watch = (tenantId: string, elderId: string, ts: number, f: Partial<WatchReading>): WatchReading => ({
  kind: 'watch', tenantId, elderId, deviceId: `w-${tenantId}-${elderId}`, ts, ...f,
})

describe.each(backends)('activity queries on $name', (backend) => {
  let opened: OpenedBackend
  let db: Db
  let elder: string
  let other: string

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
    await db.query("INSERT INTO tenants (id, name) VALUES ('t1', 't1'), ('t2', 't2')")
    elder = await seedElder(db, 't1', null)
    other = await seedElder(db, 't1', null)
    const camera: CameraReading = { kind: 'camera', tenantId: 't1', elderId: elder, deviceId: 'cam-1', ts: H9 + 10 * MIN, presence: true, persons: 1 }
    const readings: Array<WatchReading | CameraReading> = [
      // 08:00–09:00: the cumulative counter goes 1000 → 1450, heart rates 70/90/80, two fixes.
      watch('t1', elder, H8, { hr: 70, steps: 1000, lat: 31.2, lon: 121.4 }),
      watch('t1', elder, H8 + 20 * MIN, { hr: 90, steps: 1200 }),
      watch('t1', elder, H9 - 1, { hr: 80, steps: 1450, lat: 31.3, lon: 121.5 }),
      // 09:00 exactly belongs to the next hour; a camera reading counts but has no watch fields.
      watch('t1', elder, H9, { hr: 100, steps: 1500 }),
      camera,
      watch('t1', elder, H9 + 30 * MIN, { hr: 60, steps: 1600, lat: 31.3, lon: 121.5 }),
      // Same elder id in another tenant, and another elder of this tenant: never mixed in.
      watch('t2', elder, H8 + 30 * MIN, { hr: 150, steps: 99_999, lat: 1, lon: 1 }),
      watch('t1', other, H8 + 40 * MIN, { hr: 40, steps: 5 }),
    ]
    const writer = createTelemetryWriter(db, { batchSize: 100, flushMs: 10, bufferCapacity: 1000, logger: silentLogger, metrics: createMetrics() })
    writer.push({ readings })
    await writer.close()

    await seedAlert(db, 't1', { elderId: elder, rule: 'venue.repeat', level: 'orange', firstAt: '2026-11-02T01:00:00Z' })
    await seedAlert(db, 't1', { elderId: other, rule: 'venue.repeat', level: 'orange', firstAt: '2026-11-02T23:59:59Z', disposition: 'false_alarm' })
    await seedAlert(db, 't1', { elderId: elder, rule: 'safety.fall', level: 'red', firstAt: '2026-11-03T00:00:00Z' })
    await seedAlert(db, 't1', { elderId: elder, rule: 'safety.fall', level: 'red', firstAt: '2026-11-05T12:00:00Z', disposition: 'false_alarm' })
    const stranger = await seedElder(db, 't2', null)
    await seedAlert(db, 't2', { elderId: stranger, rule: 'venue.repeat', level: 'orange', firstAt: '2026-11-02T02:00:00Z' })
  })
  afterAll(async () => {
    await opened?.cleanup()
  })

  it('aggregates each hour exactly, split at the hour boundary, for this tenant and elder only', async () => {
    const hours = await elderActivityHourly(db, 't1', elder, H8, H9 + 3_600_000)
    expect(hours).toEqual([
      { at: H8, readings: 3, steps: 450, stepsMax: 1450, hrMean: 80, hrMin: 70, hrMax: 90, fixes: 2 },
      { at: H9, readings: 3, steps: 100, stepsMax: 1600, hrMean: 80, hrMin: 60, hrMax: 100, fixes: 1 },
    ])
    expect(await elderActivityHourly(db, 't2', elder, H8, H9)).toEqual([
      { at: H8, readings: 1, steps: 0, stepsMax: 99_999, hrMean: 150, hrMin: 150, hrMax: 150, fixes: 1 },
    ])
    expect((await elderActivityHourly(db, 't2', other, H8, H9 + 3_600_000))).toEqual([])
  })

  it('returns the whole hours overlapping [from, to)', async () => {
    // From 08:30: the 08:00 hour is returned whole; to = 09:00 excludes the 09:00 hour.
    const hours = await elderActivityHourly(db, 't1', elder, H8 + 30 * MIN, H9)
    expect(hours.map((h) => [h.at, h.readings])).toEqual([[H8, 3]])
    expect(await elderActivityHourly(db, 't1', elder, H9 + 3_600_000, H9 + 7_200_000)).toEqual([])
  })

  it('refuses an empty, reversed or longer-than-31-day range', async () => {
    await expect(elderActivityHourly(db, 't1', elder, H9, H9)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' })
    await expect(elderActivityHourly(db, 't1', elder, H9, H8)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' })
    await expect(elderActivityHourly(db, 't1', elder, H8, H8 + 31 * 86_400_000 + 1)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' })
    expect(await elderActivityHourly(db, 't1', elder, H8, H8 + 31 * 86_400_000)).toHaveLength(2)
  })

  it('counts alerts per UTC day, rule and level, both days inclusive, this tenant only', async () => {
    expect(await alertDailyCounts(db, 't1', '2026-11-02', '2026-11-03')).toEqual([
      { day: '2026-11-02', rule: 'venue.repeat', level: 'orange', count: 2 },
      { day: '2026-11-03', rule: 'safety.fall', level: 'red', count: 1 },
    ])
    expect(await alertDailyCounts(db, 't1', '2026-11-04', '2026-11-05')).toEqual([{ day: '2026-11-05', rule: 'safety.fall', level: 'red', count: 1 }])
    expect(await alertDailyCounts(db, 't2', '2026-11-01', '2026-11-30')).toEqual([{ day: '2026-11-02', rule: 'venue.repeat', level: 'orange', count: 1 }])
  })
})
