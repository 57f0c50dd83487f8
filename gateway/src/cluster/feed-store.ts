import type { CameraReading, DeviceEvent, WatchReading } from '../../../rules/src/input'
import type { Queryable } from '../storage/db'
import { EVENT_COLUMNS, NO_READING_VALUES, READING_COLUMNS, TS, eventFromRow, readingFromRow, type EventRow, type ReadingRow } from '../storage/telemetry-queries'

/**
 * SQL for the storage feed (storage-feed.ts): readings and events of some tenants by the time
 * they were stored. `received_at` is the storing transaction's `now()` — its *start* — so a row
 * may become visible well after its received_at; the horizon below says up to when that can no
 * longer happen. Times travel as exact epoch microseconds.
 */

export type FeedInput = WatchReading | CameraReading | DeviceEvent

/**
 * The instant (epoch µs) before which every telemetry row is committed and visible: the start of
 * the oldest transaction still running in this database (rows it inserts carry that start as
 * received_at), or now, minus `slackMs` for a transaction that has taken its start time but not
 * yet published it in pg_stat_activity; and one microsecond more, as a row stamped exactly at a
 * running transaction's start is not final. Gateway workers share one database role, so they see
 * each other's xact_start. Unrelated long transactions only hold the horizon back: rows above
 * it are still read (and re-read until it passes them), so they cost re-reads, not latency.
 */
export async function visibilityHorizon(db: Queryable, slackMs: number): Promise<number> {
  const [row] = await db.query<{ us: number }>(
    `SELECT (extract(epoch FROM least(
        now(),
        (SELECT min(xact_start) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL)
      ) - $1::float8 * interval '1 millisecond' - interval '1 microsecond') * 1000000)::int8 AS us`,
    [slackMs],
  )
  return row!.us
}

const US = "timestamptz 'epoch' + $2::int8 * interval '1 microsecond'"
const US_TO = "timestamptz 'epoch' + $3::int8 * interval '1 microsecond'"

const FEED_SQL = `
SELECT * FROM (
  (SELECT 0 AS source, ${TS}, '' AS type, ${READING_COLUMNS}, NULL::text AS device_kind, NULL::jsonb AS detail
   FROM readings WHERE tenant_id = ANY($1::text[]) AND received_at > ${US} AND ($3::int8 IS NULL OR received_at <= ${US_TO}))
  UNION ALL
  (SELECT 1, ${TS}, type, tenant_id, elder_id, device_id, ${NO_READING_VALUES}, device_kind, detail
   FROM device_events WHERE tenant_id = ANY($1::text[]) AND received_at > ${US} AND ($3::int8 IS NULL OR received_at <= ${US_TO}))
) AS stored
ORDER BY ts, device_id, source, type`

/**
 * Readings and events of `tenantIds` stored in (afterUs, untilUs] (untilUs null: no upper bound),
 * in event-time order (readings before events at the same instant of a device, as the replay
 * reads them). Served by the (tenant_id, received_at) indexes of migration 012.
 */
export async function storedSince(db: Queryable, tenantIds: readonly string[], afterUs: number, untilUs: number | null): Promise<FeedInput[]> {
  if (tenantIds.length === 0) return []
  const rows = await db.query<ReadingRow & EventRow & { source: number }>(FEED_SQL, [tenantIds, afterUs, untilUs])
  return rows.map((r) => (r.source === 0 ? readingFromRow(r) : eventFromRow(r)))
}

/** One key per stored row: the unique keys of migration 002 (device, time[, event type]). */
export function feedKey(input: FeedInput): string {
  return input.kind === 'event' ? `e|${input.deviceId}|${input.ts}|${input.type}` : `r|${input.deviceId}|${input.ts}`
}
