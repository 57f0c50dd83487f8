import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readAlertElder } from '../../src/alerts/alert-elder-store'
import { deleteDevice, insertDevice } from '../../src/registry/device-store'
import { elderActivityHourly } from '../../src/storage/activity-queries'
import { listMigrations, migrate, migrationsDir } from '../../src/storage/migrate'
import { lastPositions } from '../../src/storage/position-queries'
import { queryReadings } from '../../src/storage/telemetry-queries'
import { useBackendDb } from '../../../test/support/backend-suite'
import { backends } from '../../../test/support/databases'
import { storeReadings } from '../../../test/support/store-readings'
import { seedElder, seedTenant } from '../notices/fixtures'

/**
 * Readings have no elder index (migration 021): an elder's readings are found through the
 * devices that ever reported for the elder (elder_devices, recorded by the writer). The
 * nasty case is a device that changes hands: deleted from one elder, its id registered again
 * for another. Each elder must keep seeing exactly their own readings — the old elder the
 * readings from before, the new one those from after — in every query that reads an elder's
 * readings: the elder page, the board's last positions, a notice's newest fix, the hourly view.
 */
describe.each(backends)('an elder\'s readings through their devices on $name', (backend) => {
  const database = useBackendDb(backend)

  const t0 = Date.UTC(2026, 2, 1, 8, 0)
  const minute = 60_000

  const store = (tenantId: string, elderId: string, deviceId: string, at: number, fix?: { lat: number; lon: number }, hr = 70) =>
    storeReadings(database(), [{ kind: 'watch', tenantId, elderId, deviceId, ts: at, hr, ...(fix ? { ...fix, acc: 12, src: 'gps' as const } : {}) }])

  it('keeps a device\'s readings with the elder it had, after the device id is registered for someone else', async () => {
    const db = database()
    const tenantId = await seedTenant(db)
    const first = await seedElder(db, tenantId)
    const second = await seedElder(db, tenantId)
    const deviceId = `watch-${first.slice(0, 8)}`
    await insertDevice(db, tenantId, { id: deviceId, elderId: first, kind: 'watch', secretHash: 'sha256$a$b' })
    await store(tenantId, first, deviceId, t0, { lat: 31.1, lon: 121.1 })
    await store(tenantId, first, deviceId, t0 + minute) // heart rate only: no fix
    // The watch is handed on: deleted, and the same id registered for the second elder.
    expect(await deleteDevice(db, tenantId, deviceId)).toBe(true)
    await insertDevice(db, tenantId, { id: deviceId, elderId: second, kind: 'watch', secretHash: 'sha256$c$d' })
    await store(tenantId, second, deviceId, t0 + 2 * minute, { lat: 31.2, lon: 121.2 }, 90)
    // The second elder also has a camera (no position) and a second watch, with the newest fix.
    const camera = `camera-${second.slice(0, 8)}`
    const spare = `watch2-${second.slice(0, 8)}`
    await insertDevice(db, tenantId, { id: camera, elderId: second, kind: 'camera', secretHash: 'sha256$e$f' })
    await insertDevice(db, tenantId, { id: spare, elderId: second, kind: 'watch', secretHash: 'sha256$g$h' })
    await storeReadings(db, [{ kind: 'camera', tenantId, elderId: second, deviceId: camera, ts: t0 + 4 * minute, presence: true }])
    await store(tenantId, second, spare, t0 + 3 * minute, { lat: 31.3, lon: 121.3 })

    const range = { tenantId, from: t0 - minute, to: t0 + 10 * minute, limit: 100 }
    const readings = async (elderId: string) => (await queryReadings(db, { ...range, elderId })).map((r) => [r.deviceId, r.ts - t0])
    expect(await readings(first)).toEqual([[deviceId, 0], [deviceId, minute]])
    expect(await readings(second)).toEqual([[deviceId, 2 * minute], [spare, 3 * minute], [camera, 4 * minute]])
    expect((await queryReadings(db, { ...range, elderId: second, kind: 'camera' })).map((r) => r.deviceId)).toEqual([camera])

    // The board: each elder's newest fix, from any of their watches; none older than `since`.
    const positions = await lastPositions(db, tenantId, t0 - minute)
    expect(positions.map((p) => [p.elderId, p.lat, p.ts - t0]).sort()).toEqual(
      [[first, 31.1, 0], [second, 31.3, 3 * minute]].sort(),
    )
    expect((await lastPositions(db, tenantId, t0 + minute)).map((p) => p.elderId)).toEqual([second])

    // A notice's newest stored fix.
    expect((await readAlertElder(db, tenantId, first))?.notice.storedFix).toMatchObject({ lat: 31.1, lon: 121.1, ts: t0 })
    expect((await readAlertElder(db, tenantId, second))?.notice.storedFix).toMatchObject({ lat: 31.3, lon: 121.3, ts: t0 + 3 * minute })

    // The hourly view: the first elder's hour has its two readings only, the second elder's three.
    const hours = async (elderId: string) => (await elderActivityHourly(db, tenantId, elderId, t0 - 3_600_000, t0 + 3_600_000)).map((h) => [h.readings, h.fixes])
    expect(await hours(first)).toEqual([[2, 1]])
    expect(await hours(second)).toEqual([[3, 2]])
  })

  it('migrates a database that has readings: the pairs of every stored reading are remembered, the device registered or not', async () => {
    // A database as it was before 021 (migrations 001–020 from a copy of the folder).
    const before = mkdtempSync(join(tmpdir(), 'eg-migrations-'))
    for (const m of listMigrations()) if (m.version < '021') copyFileSync(join(migrationsDir, m.file), join(before, m.file))
    const old = await backend.open({ migrate: false })
    try {
      await migrate(old.db, { timescale: false, dir: before })
      const tenantId = await seedTenant(old.db)
      const elderId = await seedElder(old.db, tenantId)
      await insertDevice(old.db, tenantId, { id: 'watch-kept', elderId, kind: 'watch', secretHash: 'sha256$a$b' })
      await insertDevice(old.db, tenantId, { id: 'watch-gone', elderId, kind: 'watch', secretHash: 'sha256$c$d' })
      for (const deviceId of ['watch-kept', 'watch-gone']) {
        await old.db.query(
          "INSERT INTO readings (time, tenant_id, elder_id, device_id, kind, lat, lon) VALUES ($1, $2, $3, $4, 'watch', 31.1, 121.1)",
          [new Date(t0), tenantId, elderId, deviceId],
        )
      }
      expect(await deleteDevice(old.db, tenantId, 'watch-gone')).toBe(true)

      expect(await migrate(old.db, { timescale: false })).toEqual(['021_elder_devices', '022_aggregates_hourly_devices.plain'])

      const remembered = await old.db.query<{ device_id: string }>('SELECT device_id FROM elder_devices WHERE tenant_id = $1 AND elder_id = $2 ORDER BY device_id', [tenantId, elderId])
      expect(remembered.map((r) => r.device_id)).toEqual(['watch-gone', 'watch-kept'])
      const readings = await queryReadings(old.db, { tenantId, elderId, from: t0 - minute, to: t0 + minute, limit: 10 })
      expect(readings.map((r) => r.deviceId)).toEqual(['watch-gone', 'watch-kept'])
      const indexes = await old.db.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'readings' ORDER BY indexname")
      expect(indexes.map((i) => i.indexname)).toContain('readings_device_time')
      expect(indexes.map((i) => i.indexname)).not.toContain('readings_elder_time')
    } finally {
      await old.cleanup()
      rmSync(before, { recursive: true, force: true })
    }
  })
})
