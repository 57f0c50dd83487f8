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
  // tenant → elder → fix. Nested rather than one map under a joined key: observe runs for every
  // reading, and a joined key is a new string to build and hash each time (1.8 % of the
  // gateway's CPU in bench:ingest). A newer fix overwrites the entry in place for the same reason.
  const fixes = new Map<string, Map<string, LatestFix>>()
  return {
    observe(readings) {
      for (const r of readings) {
        if (r.kind !== 'watch' || r.lat === undefined || r.lon === undefined) continue
        let elders = fixes.get(r.tenantId)
        if (elders === undefined) fixes.set(r.tenantId, (elders = new Map()))
        const known = elders.get(r.elderId)
        if (known === undefined) {
          elders.set(r.elderId, { lat: r.lat, lon: r.lon, ts: r.ts, acc: r.acc ?? null })
        } else if (known.ts <= r.ts) {
          known.lat = r.lat
          known.lon = r.lon
          known.ts = r.ts
          known.acc = r.acc ?? null
        }
      }
    },
    get(tenantId, elderId) {
      const fix = fixes.get(tenantId)?.get(elderId)
      // A copy: the entry itself changes with the next fix.
      return fix === undefined ? undefined : { ...fix }
    },
  }
}
