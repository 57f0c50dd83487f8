import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { CameraReading, DeviceEvent, WatchReading } from '../../../rules/src/input'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { T0, cameraReading, deviceEvent, emptyTables, watchReading } from '../../../test/support/telemetry'
import { storedSince } from '../../src/cluster/feed-store'
import { createMetrics } from '../../src/metrics'
import type { Db } from '../../src/storage/db'
import { queryEvents, queryReadings, streamTenantInputs } from '../../src/storage/telemetry-queries'
import { createTelemetryWriter, type TelemetryBatch } from '../../src/storage/telemetry-writer'

type Input = WatchReading | CameraReading | DeviceEvent

async function write(db: Db, batch: TelemetryBatch): Promise<void> {
  const writer = createTelemetryWriter(db, { batchSize: 500, flushMs: 10, bufferCapacity: 100_000, logger: silentLogger, metrics: createMetrics() })
  writer.push(batch)
  await writer.close()
}

/** The stream's total order: time, device, readings before events, events by type. */
function streamOrder(a: Input, b: Input): number {
  const key = (x: Input) => [x.ts, x.deviceId, x.kind === 'event' ? 1 : 0, x.kind === 'event' ? x.type : ''] as const
  const ka = key(a)
  const kb = key(b)
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1
  return 0
}

describe.each(backends)('telemetry queries on $name', (backend) => {
  let opened: OpenedBackend
  let db: Db

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
  })
  afterAll(() => opened.cleanup())
  beforeEach(() => emptyTables(db))

  it('reads back exactly what was written, ordered, in [from, to), null fields omitted', async () => {
    const watches = Array.from({ length: 300 }, (_, i) => watchReading(i))
    // Sparse readings: only some fields, as devices really send them.
    const sparse: WatchReading[] = [
      { kind: 'watch', tenantId: 't1', elderId: 'e1', deviceId: 'w9', ts: T0 + 1500, hr: 71 },
      { kind: 'watch', tenantId: 't1', elderId: 'e1', deviceId: 'w9', ts: T0 + 2500, lat: 31.5, lon: 121.5, src: 'wifi' },
      // A 4G watch's health measurements, alone or in part.
      { kind: 'watch', tenantId: 't1', elderId: 'e1', deviceId: 'w9', ts: T0 + 2600, spo2: 95, sys: 152, dia: 91, temp: 37.8 },
      { kind: 'watch', tenantId: 't1', elderId: 'e1', deviceId: 'w9', ts: T0 + 2700, sys: 118 },
      { kind: 'watch', tenantId: 't1', elderId: 'e1', deviceId: 'w9', ts: T0 + 2800, temp: 36.4, bat: 30 },
    ]
    const cameras = Array.from({ length: 100 }, (_, i) => cameraReading(i))
    const events = Array.from({ length: 50 }, (_, i) => deviceEvent(i, i % 3 === 0 ? { detail: undefined } : {}))
    const otherTenant = watchReading(8, { tenantId: 't2' , deviceId: 'x8', elderId: 'e1' })
    await write(db, { readings: [...watches, ...sparse, ...cameras, otherTenant], events })

    const from = T0 + 7_000
    const to = T0 + 200_000
    const inRange = <T extends Input>(x: T) => x.elderId === 'e1' && x.tenantId === 't1' && x.ts >= from && x.ts < to
    const byTime = (a: Input, b: Input) => a.ts - b.ts || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0)

    const readings = await queryReadings(db, { tenantId: 't1', elderId: 'e1', from, to, limit: 1000 })
    expect(readings.length).toBeGreaterThan(40)
    expect(readings.some((r) => r.kind === 'camera') && readings.some((r) => r.kind === 'watch')).toBe(true)
    expect(readings).toEqual([...watches, ...sparse, ...cameras].filter(inRange).sort(byTime))
    expect(readings.find((r) => r.deviceId === 'w9')).toBeUndefined()

    const early = await queryReadings(db, { tenantId: 't1', elderId: 'e1', from: T0, to: T0 + 3000, limit: 10 })
    expect(early.filter((r) => r.deviceId === 'w9')).toStrictEqual(sparse)

    const camerasOnly = await queryReadings(db, { tenantId: 't1', elderId: 'e1', from, to, limit: 1000, kind: 'camera' })
    expect(camerasOnly).toEqual(cameras.filter(inRange).sort(byTime))
    expect(await queryReadings(db, { tenantId: 't1', elderId: 'e1', from, to, limit: 3 })).toHaveLength(3)

    const evs = await queryEvents(db, { tenantId: 't1', elderId: 'e1', from: T0, to: T0 + 50_000, limit: 100 })
    expect(evs.length).toBeGreaterThan(5)
    expect(evs).toEqual(events.filter((e) => e.elderId === 'e1').sort(byTime))
    expect(evs.some((e) => !('detail' in e))).toBe(true)
    expect(await queryEvents(db, { tenantId: 't1', elderId: 'e1', from: T0, to: T0 + 50_000, limit: 100, kind: 'camera' })).toEqual([])
  })

  it('streams a tenant in event-time order by keyset, across many equal timestamps', async () => {
    const readings: Array<WatchReading | CameraReading> = []
    const events: DeviceEvent[] = []
    // 4 instants × 9 devices, every device reporting at each instant; some also raise events
    // at the very same millisecond — the page boundaries fall inside runs of equal keys.
    for (let t = 0; t < 4; t++) {
      for (let d = 1; d <= 9; d++) {
        const deviceId = `d${d}`
        const ts = T0 + t * 60_000
        // Watch readings of the first instant carry health readings (fixture: every fourth), which the replay after a crash must see too.
        readings.push(d % 2 ? watchReading(4 * d + t, { deviceId, ts }) : cameraReading(d, { deviceId, ts }))
        if (d % 3 === 0) events.push(deviceEvent(d, { deviceId, ts, type: 'sos' }), deviceEvent(d, { deviceId, ts, type: 'fall' }))
      }
    }
    const elsewhere = watchReading(1, { tenantId: 't2', deviceId: 'x1', ts: T0 })
    const late = watchReading(1, { deviceId: 'd1', ts: T0 + 4 * 60_000 })
    await write(db, { readings: [...readings, elsewhere, late], events })

    const expected = [...readings, ...events].sort(streamOrder)
    expect(expected).toHaveLength(36 + 24)
    expect(expected.filter((x) => x.kind === 'watch' && x.spo2 !== undefined)).toHaveLength(5)
    for (const pageSize of [1, 4, 7, 1000]) {
      const pages: Input[][] = []
      for await (const page of streamTenantInputs(db, { tenantId: 't1', from: T0, to: T0 + 4 * 60_000, pageSize })) {
        expect(page.length).toBeLessThanOrEqual(pageSize)
        pages.push(page)
      }
      expect(pages.flat()).toEqual(expected)
    }
    // The storage feed (cluster workers) reads the same rows by storing time, in the same order.
    expect(await storedSince(db, ['t1'], 0, null)).toEqual([...expected, late])
    const fromSecond: Input[] = []
    for await (const page of streamTenantInputs(db, { tenantId: 't1', from: T0 + 60_000, to: T0 + 120_000, pageSize: 5 })) fromSecond.push(...page)
    expect(fromSecond).toEqual(expected.filter((x) => x.ts === T0 + 60_000))
  })
})
