import { describe, expect, it } from 'vitest'
import { backends, silentLogger } from '../../../test/support/databases'
import { createDetectionRuntime, type DetectionRuntime } from '../../src/detection/runtime'
import type { Db } from '../../src/storage/db'
import { ensureBootstrap } from '../../src/registry/bootstrap'
import { deleteElder, insertElder } from '../../src/registry/elder-store'

/**
 * Registering a town's elders one POST at a time used to reload the tenant's whole elder list
 * per POST (and per first reading of a new elder): quadratic, 47 POSTs/s at 500 elders. The
 * engine now re-reads the one elder that changed; whole-list reloads still queued coalesce.
 */
function countElderQueries(db: Db): { whole: number; single: number } {
  const counts = { whole: 0, single: 0 }
  const query = db.query.bind(db)
  db.query = ((sql: string, params?: unknown[]) => {
    if (sql.includes('home_radius_m, expected_away FROM elders WHERE tenant_id = $1')) {
      if (sql.includes('AND id = $2')) counts.single++
      else counts.whole++
    }
    return query(sql, params)
  }) as typeof db.query
  return counts
}

const sos = (tenantId: string, elderId: string, ts: number) => ({ tenantId, elderId, deviceId: `w-${elderId}`, ts, kind: 'event' as const, deviceKind: 'watch' as const, type: 'sos' as const })


/** A migrated in-memory database with one tenant, and a runtime on it; closed after `fn`. */
async function withRuntime(fn: (ctx: { db: Db; tenantId: string; runtime: DetectionRuntime }) => Promise<void>): Promise<void> {
  const { db, cleanup } = await backends[0]!.open()
  // No findings in these tests: the sink is never reached.
  const runtime = createDetectionRuntime({ db, logger: silentLogger, clock: 'event', timeZone: 'Asia/Shanghai', findingSink: async () => undefined })
  try {
    const { tenantId } = await ensureBootstrap(db, { tenantName: 'county', adminPassword: 'admin-password-1' })
    await fn({ db, tenantId, runtime })
  } finally {
    await runtime.close()
    await cleanup()
  }
}

describe('detection runtime: elder changes', () => {
  it('re-reads only the elder that changed, and forgets a deleted one', async () => {
    await withRuntime(async ({ db, tenantId, runtime }) => {
      await runtime.warmUp([tenantId])
      const counts = countElderQueries(db)
      for (let i = 0; i < 30; i++) {
        await insertElder(db, tenantId, `elder-${i}`, { name: `老人${i}`, home: { lat: 30.75, lon: 120.75 + i / 1000 } })
        await runtime.tenantChanged(tenantId, 'elders', `elder-${i}`)
      }
      expect(counts).toEqual({ whole: 0, single: 30 })

      const ts = Date.UTC(2026, 10, 30, 2, 0, 0)
      runtime.submit([sos(tenantId, 'elder-0', ts), sos(tenantId, 'elder-29', ts + 1)])
      await runtime.idle()
      expect(runtime.stats()).toMatchObject({ unknownElder: 0 })
      expect(runtime.stats().findings).toBeGreaterThanOrEqual(2)

      await deleteElder(db, tenantId, 'elder-29')
      await runtime.tenantChanged(tenantId, 'elders', 'elder-29')
      runtime.submit([sos(tenantId, 'elder-29', ts + 60_000)])
      await runtime.idle()
      expect(runtime.stats().unknownElder).toBe(1)
    })
  })

  it('loads an elder it never heard of from its first reading, without reloading the others', async () => {
    await withRuntime(async ({ db, tenantId, runtime }) => {
      await insertElder(db, tenantId, 'known', { name: '老王', home: { lat: 30.75, lon: 120.75 } })
      await runtime.warmUp([tenantId])
      await insertElder(db, tenantId, 'new', { name: '老李', home: { lat: 30.76, lon: 120.76 } })
      const counts = countElderQueries(db)
      runtime.submit([sos(tenantId, 'new', Date.UTC(2026, 10, 30, 2, 0, 0))])
      await runtime.idle()
      expect(counts).toEqual({ whole: 0, single: 1 })
      expect(runtime.stats()).toMatchObject({ unknownElder: 0, processed: 1 })
    })
  })

  it('coalesces whole-list reloads that are still queued, and misses no change made after one started', async () => {
    await withRuntime(async ({ db, tenantId, runtime }) => {
      await runtime.warmUp([tenantId])
      const counts = countElderQueries(db)
      // Queued behind nothing but each other: the first starts, the other nine join one reload.
      await Promise.all(Array.from({ length: 10 }, () => runtime.tenantChanged(tenantId, 'elders')))
      expect(counts.whole).toBeLessThanOrEqual(2)
      await insertElder(db, tenantId, 'late', { name: '晚到', home: { lat: 30.75, lon: 120.8 } })
      const before = counts.whole
      await runtime.tenantChanged(tenantId, 'elders')
      expect(counts.whole).toBe(before + 1)
      runtime.submit([sos(tenantId, 'late', Date.UTC(2026, 10, 30, 2, 0, 0))])
      await runtime.idle()
      expect(counts.single).toBe(0)
      expect(runtime.stats()).toMatchObject({ unknownElder: 0, processed: 1 })
    })
  })
})
