import { appendChanges, type Change } from '../stream/change-log-store'
import type { Logger } from '../logger'
import type { Db, Queryable } from './db'
import { startFlushLoop } from './flush-loop'

/**
 * Last-seen, battery and online bookkeeping for devices without a database write per message:
 * every message calls seen(), so the values are coalesced in memory and written with one
 * UPDATE per flush, however many devices changed. Values are absolute state, not deltas, so a
 * failed flush just leaves them for the next one, and a later value simply replaces them.
 */
export interface DeviceActivity {
  /** A message from the device; `battery` when it reported one (percent). */
  seen(deviceId: string, at: number, battery?: number): void
  /** Connected / disconnected (broker hooks, or the device's retained status message). */
  setOnline(deviceId: string, online: boolean, at: number): void
  /** A protocol frame (DESIGN §3b) came in: its command, for the board's device page. */
  frame(deviceId: string, at: number, command: string): void
  flush(): Promise<void>
  close(): Promise<void>
}

interface Activity {
  lastSeen: number | null
  battery: number | null
  batteryAt: number
  online: boolean | null
  statusAt: number | null
  frameAt: number | null
  frame: string | null
  /** Bumped on every change: a flush removes only entries no change has touched since it read them. */
  version: number
}

// Latest wins, also against the row: several gateway workers (or a flush that lost a race) must
// not move last_seen_at or the online status back in time. GREATEST ignores NULL. Battery is
// the latest this worker saw (the table keeps no battery time to compare against).
const UPDATE_SQL = `UPDATE devices AS d SET
  last_seen_at = GREATEST(d.last_seen_at, timestamptz 'epoch' + u.seen * interval '1 millisecond'),
  battery = COALESCE(u.battery, d.battery),
  online = CASE WHEN u.status_at IS NOT NULL AND (d.status_at IS NULL OR d.status_at <= timestamptz 'epoch' + u.status_at * interval '1 millisecond')
    THEN u.online ELSE d.online END,
  status_at = GREATEST(d.status_at, timestamptz 'epoch' + u.status_at * interval '1 millisecond'),
  last_frame = CASE WHEN u.frame_at IS NOT NULL AND (d.last_frame_at IS NULL OR d.last_frame_at <= timestamptz 'epoch' + u.frame_at * interval '1 millisecond')
    THEN u.frame ELSE d.last_frame END,
  last_frame_at = GREATEST(d.last_frame_at, timestamptz 'epoch' + u.frame_at * interval '1 millisecond')
FROM unnest($1::text[], $2::float8[], $3::int2[], $4::bool[], $5::float8[], $6::float8[], $7::text[]) AS u(id, seen, battery, online, status_at, frame_at, frame)
WHERE d.id = u.id`

// With the change log on, a flush that carries status changes returns what each row became, so
// online/offline transitions can be told apart from repeats of the same status.
const UPDATE_RETURNING_SQL = `${UPDATE_SQL}
RETURNING d.id, d.tenant_id, d.elder_id, d.online, d.status_at`

export interface DeviceActivityOptions {
  flushMs: number
  logger: Logger
  /**
   * Device status on the board's live stream: when set, every flush that turns a device
   * online or offline appends a 'device' change-log entry in the same transaction as the
   * UPDATE, and hands the committed changes here (the change bus). Unset (tests, tools): one
   * plain UPDATE per flush, no change log.
   */
  onChanges?: (changes: readonly Change[]) => void
}

export function createDeviceActivity(db: Db, opts: DeviceActivityOptions): DeviceActivity {
  const { logger, onChanges } = opts
  const pending = new Map<string, Activity>()

  function entry(deviceId: string): Activity {
    let a = pending.get(deviceId)
    if (a === undefined) {
      a = { lastSeen: null, battery: null, batteryAt: -Infinity, online: null, statusAt: null, frameAt: null, frame: null, version: 0 }
      pending.set(deviceId, a)
    }
    return a
  }

  async function writeOnce(): Promise<void> {
    if (pending.size === 0) return
    const ids: string[] = []
    const seen: Array<number | null> = []
    const battery: Array<number | null> = []
    const online: Array<boolean | null> = []
    const statusAt: Array<number | null> = []
    const frameAt: Array<number | null> = []
    const frame: Array<string | null> = []
    const versions: number[] = []
    for (const [id, a] of pending) {
      ids.push(id)
      seen.push(a.lastSeen)
      battery.push(a.battery)
      online.push(a.online)
      statusAt.push(a.statusAt)
      frameAt.push(a.frameAt)
      frame.push(a.frame)
      versions.push(a.version)
    }
    const params = [ids, seen, battery, online, statusAt, frameAt, frame]
    let changes: Change[] = []
    try {
      if (onChanges !== undefined && statusAt.some((at) => at !== null)) changes = await db.transaction((tx) => writeWithChanges(tx, params))
      else await db.query(UPDATE_SQL, params)
    } catch (err) {
      // Not lost: the entries stay and the next flush writes their (then latest) values.
      logger.warn({ err: (err as Error).message, devices: ids.length }, 'device activity not written; will retry')
      return
    }
    for (let i = 0; i < ids.length; i++) {
      const a = pending.get(ids[i]!)
      if (a !== undefined && a.version === versions[i]) pending.delete(ids[i]!)
    }
    if (changes.length > 0) {
      try {
        onChanges?.(changes)
      } catch (err) {
        // Committed already; a failing listener must not make the flush look failed.
        logger.error({ err: (err as Error).message }, 'device change listener failed')
      }
    }
  }

  const loop = startFlushLoop({ write: writeOnce, hasWork: () => pending.size > 0, flushMs: opts.flushMs, logger, what: 'device activity' })

  return {
    seen(deviceId, at, battery) {
      const a = entry(deviceId)
      if (a.lastSeen === null || at > a.lastSeen) a.lastSeen = at
      if (battery !== undefined && at >= a.batteryAt) {
        // smallint column; readings may carry fractions.
        a.battery = Math.max(0, Math.min(100, Math.round(battery)))
        a.batteryAt = at
      }
      a.version++
    },
    setOnline(deviceId, online, at) {
      const a = entry(deviceId)
      if (a.statusAt === null || at >= a.statusAt) {
        a.online = online
        a.statusAt = at
      }
      a.version++
    },
    frame(deviceId, at, command) {
      const a = entry(deviceId)
      if (a.frameAt === null || at >= a.frameAt) {
        a.frame = command
        a.frameAt = at
      }
      a.version++
    },
    flush: loop.flush,
    async close() {
      loop.stop()
      await loop.flush()
    },
  }
}

/**
 * The UPDATE plus a 'device' change per online/offline transition, in one transaction. The
 * rows are locked first, in id order (so two workers flushing overlapping devices cannot
 * deadlock), which makes the status read here the one the UPDATE replaces. Changes are
 * appended tenant by tenant, in a fixed order, for the same reason on the change heads.
 */
async function writeWithChanges(tx: Queryable, params: unknown[]): Promise<Change[]> {
  const before = await tx.query<{ id: string; online: boolean }>('SELECT id, online FROM devices WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [params[0]])
  const wasOnline = new Map(before.map((row) => [row.id, row.online]))
  const after = await tx.query<{ id: string; tenant_id: string; elder_id: string; online: boolean; status_at: Date | null }>(UPDATE_RETURNING_SQL, params)
  const flipped = after
    .filter((row) => wasOnline.has(row.id) && wasOnline.get(row.id) !== row.online)
    .sort((a, b) => (a.tenant_id === b.tenant_id ? (a.id < b.id ? -1 : 1) : a.tenant_id < b.tenant_id ? -1 : 1))
  // One statement per tenant (appendChanges), tenants in the sorted order.
  return flipped.length === 0
    ? []
    : appendChanges(
        tx,
        flipped.map((row) => ({
          tenantId: row.tenant_id,
          topic: 'device' as const,
          entityId: row.id,
          payload: { deviceId: row.id, elderId: row.elder_id, online: row.online, at: (row.status_at ?? new Date()).toISOString() },
        })),
      )
}
