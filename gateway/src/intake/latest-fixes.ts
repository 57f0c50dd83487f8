import type { CameraReading, WatchReading } from '../../../rules/src/input'

/**
 * The newest watch fix seen per elder, in memory, fed by intake the moment a reading is decoded
 * — before the batched writer has stored it. A notice planned right after a fix (an SOS pressed
 * a second after the watch reported where it is) must carry that fix, not the older one the
 * database still has (issue 12 item 4). Newest by event time, so a buffered upload of old fixes
 * arriving late never replaces a newer one.
 *
 * One entry per elder (a few hundred bytes each: a county's elders fit easily). On several
 * nodes each node knows only the fixes it received; the notice also reads storage and takes
 * whichever is newest, so a missing entry here costs freshness, never correctness.
 */
export interface LatestFix {
  lat: number
  lon: number
  /** Event time, epoch ms. */
  ts: number
  /** Horizontal accuracy in metres, when the device sent it. */
  acc: number | null
}

export interface LatestFixes {
  /** Called on every decoded batch; ignores readings without a position. */
  observe(readings: ReadonlyArray<WatchReading | CameraReading>): void
  get(tenantId: string, elderId: string): LatestFix | undefined
}

export function createLatestFixes(): LatestFixes {
  const fixes = new Map<string, LatestFix>()
  const key = (tenantId: string, elderId: string) => `${tenantId}\u0000${elderId}`
  return {
    observe(readings) {
      for (const r of readings) {
        if (r.kind !== 'watch' || r.lat === undefined || r.lon === undefined) continue
        const k = key(r.tenantId, r.elderId)
        const known = fixes.get(k)
        if (known !== undefined && known.ts > r.ts) continue
        fixes.set(k, { lat: r.lat, lon: r.lon, ts: r.ts, acc: r.acc ?? null })
      }
    },
    get: (tenantId, elderId) => fixes.get(key(tenantId, elderId)),
  }
}
