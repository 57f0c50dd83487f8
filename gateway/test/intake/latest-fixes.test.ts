import { describe, expect, it } from 'vitest'
import type { CameraReading, WatchReading } from '../../../rules/src/input'
import { createLatestFixes } from '../../src/intake/latest-fixes'

const fix = (tenantId: string, elderId: string, ts: number, lat?: number, acc?: number): WatchReading => ({
  kind: 'watch', tenantId, elderId, deviceId: `w-${elderId}`, ts,
  ...(lat === undefined ? {} : { lat, lon: lat + 90 }), ...(acc === undefined ? {} : { acc }),
})

describe('latest fixes', () => {
  it('keeps the newest fix by event time per elder and tenant, whatever order they arrive in', () => {
    const fixes = createLatestFixes()
    fixes.observe([fix('t1', 'e1', 1000, 30, 12), fix('t2', 'e1', 500, 20)])
    // A buffered upload of older fixes arrives late: it does not replace the newer one.
    fixes.observe([fix('t1', 'e1', 900, 31), fix('t1', 'e1', 999, 32)])
    expect(fixes.get('t1', 'e1')).toEqual({ lat: 30, lon: 120, ts: 1000, acc: 12 })
    // A newer one does, accuracy included (absent: null, not the previous fix's).
    fixes.observe([fix('t1', 'e1', 2000, 33)])
    expect(fixes.get('t1', 'e1')).toEqual({ lat: 33, lon: 123, ts: 2000, acc: null })
    // The same elder id in another tenant is another elder.
    expect(fixes.get('t2', 'e1')).toEqual({ lat: 20, lon: 110, ts: 500, acc: null })
    expect(fixes.get('t1', 'e2')).toBeUndefined()
    expect(fixes.get('t3', 'e1')).toBeUndefined()
  })

  it('ignores readings without a position and camera readings', () => {
    const fixes = createLatestFixes()
    const camera: CameraReading = { kind: 'camera', tenantId: 't1', elderId: 'e1', deviceId: 'c1', ts: 5000, presence: true }
    fixes.observe([fix('t1', 'e1', 1000, 30), fix('t1', 'e1', 3000), camera])
    expect(fixes.get('t1', 'e1')).toEqual({ lat: 30, lon: 120, ts: 1000, acc: null })
  })

  it('hands out a copy: a fix read before the next one arrives does not change under its reader', () => {
    const fixes = createLatestFixes()
    fixes.observe([fix('t1', 'e1', 1000, 30)])
    const read = fixes.get('t1', 'e1')
    fixes.observe([fix('t1', 'e1', 2000, 40)])
    expect(read).toEqual({ lat: 30, lon: 120, ts: 1000, acc: null })
    expect(fixes.get('t1', 'e1')?.lat).toBe(40)
  })
})
