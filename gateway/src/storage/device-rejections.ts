import type { Logger } from '../logger'
import type { Db } from './db'
import { startFlushLoop } from './flush-loop'
import { pgText } from './telemetry-sql'

/**
 * Exact rejected-message counts per device, for the board's Devices page (issue 6). The
 * dead-letter table keeps only the newest EG_DEADLETTER_MAX payloads, so counting its rows
 * would undercount exactly the devices that matter (a broken watch flooding garbage). Instead
 * every dead letter recorded for a known device adds to a per-device delta in memory — one Map
 * entry per device, however many messages — and a timer adds the deltas to the devices row
 * with one UPDATE per flush.
 *
 * These are deltas, not absolute state (unlike device-activity.ts): a flush takes the pending
 * map out before it writes, so a rejection recorded meanwhile lands in a fresh delta and is
 * never sent twice, and a failed write merges what it took back, so nothing is lost.
 */
export interface DeviceRejections {
  /** One rejected (or partly rejected) message from a known device; `at` epoch ms. */
  rejected(deviceId: string, at: number, reason: string): void
  flush(): Promise<void>
  close(): Promise<void>
  /** Devices with counts not yet written (tests, health). */
  pending(): number
}

export interface DeviceRejectionsOptions {
  logger: Logger
  flushMs?: number
}

interface Delta {
  count: number
  lastAt: number
  lastReason: string
}

// Counts add up across workers and flushes; the last rejection is the latest by time, also
// against the row (GREATEST ignores NULL; the CASE keeps the reason paired with that time).
// A device deleted meanwhile simply matches no row.
const UPDATE_SQL = `UPDATE devices AS d SET
  rejected_count = d.rejected_count + u.n,
  last_rejected_at = GREATEST(d.last_rejected_at, timestamptz 'epoch' + u.at * interval '1 millisecond'),
  last_rejected_reason = CASE WHEN d.last_rejected_at IS NULL OR d.last_rejected_at <= timestamptz 'epoch' + u.at * interval '1 millisecond'
    THEN u.reason ELSE d.last_rejected_reason END
FROM unnest($1::text[], $2::int8[], $3::float8[], $4::text[]) AS u(id, n, at, reason)
WHERE d.id = u.id`

/** Adds `delta` into `into` for the same device: counts add, the later rejection wins. */
function merge(into: Map<string, Delta>, deviceId: string, delta: Delta): void {
  const current = into.get(deviceId)
  if (current === undefined) {
    into.set(deviceId, { ...delta })
    return
  }
  current.count += delta.count
  if (delta.lastAt >= current.lastAt) {
    current.lastAt = delta.lastAt
    current.lastReason = delta.lastReason
  }
}

export function createDeviceRejections(db: Db, opts: DeviceRejectionsOptions): DeviceRejections {
  const { logger } = opts
  let pending = new Map<string, Delta>()

  async function writeOnce(): Promise<void> {
    if (pending.size === 0) return
    // Taken out before the write: rejections arriving while it runs start a new delta.
    const taken = pending
    pending = new Map()
    const ids: string[] = []
    const counts: number[] = []
    const times: number[] = []
    const reasons: string[] = []
    for (const [id, delta] of taken) {
      ids.push(id)
      counts.push(delta.count)
      times.push(delta.lastAt)
      reasons.push(delta.lastReason)
    }
    try {
      await db.query(UPDATE_SQL, [ids, counts, times, reasons])
    } catch (err) {
      const e = err as Error & { code?: string }
      // Class 22 is a data exception: these values would fail the same way every time.
      if (e.code?.startsWith('22')) {
        logger.warn({ err: e.message, code: e.code, devices: ids.length }, 'device rejection counts rejected by the database; dropped')
        return
      }
      // Not written, so not counted yet: merged back under what arrived meanwhile. (A commit
      // whose reply was lost would count twice on the retry — the price of not losing counts.)
      for (const [id, delta] of taken) merge(pending, id, delta)
      logger.warn({ err: e.message, code: e.code, devices: pending.size }, 'device rejection counts not written; will retry')
    }
  }

  const loop = startFlushLoop({ write: writeOnce, hasWork: () => pending.size > 0, flushMs: opts.flushMs ?? 1_000, logger, what: 'device rejection' })

  return {
    rejected(deviceId, at, reason) {
      merge(pending, deviceId, { count: 1, lastAt: at, lastReason: pgText(reason) })
    },
    flush: loop.flush,
    async close() {
      loop.stop()
      await loop.flush()
    },
    pending: () => pending.size,
  }
}
