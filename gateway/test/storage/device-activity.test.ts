import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { T0, countingDb, emptyTables, seedDevices, waitFor } from '../../../test/support/telemetry'
import type { Db } from '../../src/storage/db'
import { createDeviceActivity, type DeviceActivity } from '../../src/storage/device-activity'

interface DeviceRow {
  id: string
  last_seen_ms: number | null
  battery: number | null
  online: boolean
  status_ms: number | null
}

describe.each(backends)('device activity on $name', (backend) => {
  let opened: OpenedBackend
  let activity: DeviceActivity | undefined

  beforeAll(async () => {
    opened = await backend.open()
  })
  afterAll(() => opened.cleanup())
  beforeEach(async () => {
    await emptyTables(opened.db)
    await seedDevices(opened.db, ['w1', 'w2', 'w3'])
  })
  afterEach(async () => {
    await activity?.close()
    activity = undefined
  })

  const rows = () =>
    opened.db.query<DeviceRow>(
      `SELECT id, (extract(epoch FROM last_seen_at) * 1000)::int8 AS last_seen_ms, battery, online,
              (extract(epoch FROM status_at) * 1000)::int8 AS status_ms FROM devices ORDER BY id`,
    )

  it('coalesces many calls into one UPDATE carrying the latest values', async () => {
    const counted = countingDb(opened.db)
    activity = createDeviceActivity(counted.db, { flushMs: 60_000, logger: silentLogger })
    for (let i = 0; i < 1000; i++) activity.seen('w1', T0 + i * 1000, i % 100 === 99 ? 50 - i / 100 : undefined)
    // Out of order: an older message arriving late moves nothing back.
    activity.seen('w1', T0, 99)
    activity.setOnline('w1', true, T0)
    activity.setOnline('w2', true, T0 + 10)
    activity.setOnline('w2', false, T0 + 20)
    activity.setOnline('w2', true, T0 + 15)
    activity.seen('unknown-device', T0)
    await activity.flush()
    expect(counted.statements).toEqual(['UPDATE devices'])
    expect(await rows()).toEqual([
      { id: 'w1', last_seen_ms: T0 + 999_000, battery: 40, online: true, status_ms: T0 },
      { id: 'w2', last_seen_ms: null, battery: null, online: false, status_ms: T0 + 20 },
      { id: 'w3', last_seen_ms: null, battery: null, online: false, status_ms: null },
    ])
    // Nothing pending: the next flush sends nothing.
    await activity.flush()
    expect(counted.statements).toHaveLength(1)
  })

  it('never moves the row back in time and keeps values after a failed flush', async () => {
    let fail = true
    const db = opened.db
    const flaky: Db = { ...db, kind: db.kind, query: (sql, params) => (fail ? Promise.reject(new Error('down')) : db.query(sql, params)) }
    activity = createDeviceActivity(flaky, { flushMs: 60_000, logger: silentLogger })
    activity.seen('w3', T0 + 5000, 80)
    activity.setOnline('w3', true, T0 + 5000)
    await activity.flush()
    fail = false
    await activity.flush()
    expect((await rows())[2]).toEqual({ id: 'w3', last_seen_ms: T0 + 5000, battery: 80, online: true, status_ms: T0 + 5000 })
    // A second worker's older view of the same device changes nothing.
    const other = createDeviceActivity(opened.db, { flushMs: 60_000, logger: silentLogger })
    other.seen('w3', T0 + 1000)
    other.setOnline('w3', false, T0 + 1000)
    await other.close()
    expect((await rows())[2]).toEqual({ id: 'w3', last_seen_ms: T0 + 5000, battery: 80, online: true, status_ms: T0 + 5000 })
  })

  it('writes on its own every flushMs', async () => {
    activity = createDeviceActivity(opened.db, { flushMs: 20, logger: silentLogger })
    activity.seen('w2', T0 + 42, 12)
    await waitFor(async () => (await rows())[1]?.last_seen_ms === T0 + 42, 10_000, 'the timed flush')
    expect((await rows())[1]?.battery).toBe(12)
  })
})
