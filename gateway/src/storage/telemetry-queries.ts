import type { CameraReading, DeviceEvent, DeviceEventType, DeviceKind, LocationSource, WatchReading } from '../../../rules/src/input'
import type { Db } from './db'

/**
 * Reads of persisted telemetry for the HTTP API and the backtester. Records come back in the
 * shapes of rules/src/input.ts — the shapes the writer took in — with null columns omitted, so
 * a backtest replays exactly what the live rule engine saw. Ranges are [from, to) in epoch ms.
 */
export interface TelemetryRangeQuery {
  tenantId: string
  elderId: string
  from: number
  to: number
  limit: number
  /** Readings: that kind only. Events: events of that kind of device only. */
  kind?: DeviceKind | undefined
}

export interface ReadingRow {
  ts: number
  tenant_id: string
  elder_id: string
  device_id: string
  kind: string
  lat: number | null
  lon: number | null
  acc: number | null
  src: string | null
  hr: number | null
  steps: number | null
  bat: number | null
  worn: boolean | null
  presence: boolean | null
  persons: number | null
  strangers: number | null
  motion: boolean | null
  spo2: number | null
  sys: number | null
  dia: number | null
  temp: number | null
}

export interface EventRow {
  ts: number
  tenant_id: string
  elder_id: string
  device_id: string
  device_kind: string
  type: string
  detail: Record<string, unknown> | null
}

// Event time is stored from whole milliseconds, so the ms value is exact.
export const TS = '(extract(epoch FROM time) * 1000)::int8 AS ts'
export const READING_COLUMNS =
  'tenant_id, elder_id, device_id, kind, lat, lon, acc, src, hr, steps, bat, worn, presence, persons, strangers, motion, spo2, sys, dia, temp'
/**
 * READING_COLUMNS after the three ids, as typed NULLs: what the events side of a readings ∪
 * events query selects in their place. Kept next to the list so a column added to one is
 * added to the other (a UNION with a short side fails only when the query first runs).
 */
export const NO_READING_VALUES =
  'NULL::text, NULL::float8, NULL::float8, NULL::real, NULL::text, NULL::smallint, NULL::integer, NULL::smallint, ' +
  'NULL::boolean, NULL::boolean, NULL::smallint, NULL::smallint, NULL::boolean, NULL::smallint, NULL::smallint, NULL::smallint, NULL::real'
export const EVENT_COLUMNS = 'tenant_id, elder_id, device_id, device_kind, type, detail'
const MS = "timestamptz 'epoch' + $3::float8 * interval '1 millisecond'"
const MS_TO = "timestamptz 'epoch' + $4::float8 * interval '1 millisecond'"

export function readingFromRow(r: ReadingRow): WatchReading | CameraReading {
  const base = { tenantId: r.tenant_id, elderId: r.elder_id, deviceId: r.device_id, ts: r.ts }
  if (r.kind === 'camera') {
    const c: CameraReading = { kind: 'camera', ...base }
    if (r.presence !== null) c.presence = r.presence
    if (r.persons !== null) c.persons = r.persons
    if (r.strangers !== null) c.strangers = r.strangers
    if (r.motion !== null) c.motion = r.motion
    return c
  }
  const w: WatchReading = { kind: 'watch', ...base }
  if (r.lat !== null) w.lat = r.lat
  if (r.lon !== null) w.lon = r.lon
  if (r.acc !== null) w.acc = r.acc
  if (r.src !== null) w.src = r.src as LocationSource
  if (r.hr !== null) w.hr = r.hr
  if (r.steps !== null) w.steps = r.steps
  if (r.bat !== null) w.bat = r.bat
  if (r.worn !== null) w.worn = r.worn
  if (r.spo2 !== null) w.spo2 = r.spo2
  if (r.sys !== null) w.sys = r.sys
  if (r.dia !== null) w.dia = r.dia
  if (r.temp !== null) w.temp = r.temp
  return w
}

export function eventFromRow(r: EventRow): DeviceEvent {
  const e: DeviceEvent = {
    kind: 'event',
    tenantId: r.tenant_id,
    elderId: r.elder_id,
    deviceId: r.device_id,
    ts: r.ts,
    deviceKind: r.device_kind as DeviceKind,
    type: r.type as DeviceEventType,
  }
  if (r.detail !== null) e.detail = r.detail
  return e
}

/** One elder's readings in [from, to), oldest first (then by device), at most `limit`. */
export async function queryReadings(db: Db, q: TelemetryRangeQuery): Promise<Array<WatchReading | CameraReading>> {
  const rows = await db.query<ReadingRow>(
    // Through the elder's devices (no elder index on readings, migration 021): the (device_id,
    // time) index per device, still filtered on the elder (a device id may have served another).
    `SELECT ${TS}, ${READING_COLUMNS} FROM readings
     WHERE device_id IN (SELECT device_id FROM elder_devices WHERE tenant_id = $1 AND elder_id = $2)
       AND elder_id = $2 AND tenant_id = $1 AND time >= ${MS} AND time < ${MS_TO} AND ($6::text IS NULL OR kind = $6)
     ORDER BY time, device_id LIMIT $5`,
    [q.tenantId, q.elderId, q.from, q.to, q.limit, q.kind ?? null],
  )
  return rows.map(readingFromRow)
}

/** One elder's device events in [from, to), oldest first, at most `limit`. */
export async function queryEvents(db: Db, q: TelemetryRangeQuery): Promise<DeviceEvent[]> {
  const rows = await db.query<EventRow>(
    `SELECT ${TS}, ${EVENT_COLUMNS} FROM device_events
     WHERE elder_id = $2 AND tenant_id = $1 AND time >= ${MS} AND time < ${MS_TO} AND ($6::text IS NULL OR device_kind = $6)
     ORDER BY time, device_id, type LIMIT $5`,
    [q.tenantId, q.elderId, q.from, q.to, q.limit, q.kind ?? null],
  )
  return rows.map(eventFromRow)
}

/**
 * Both tables merged in one total order (time, device_id, source, type) — readings before
 * events at the same instant of the same device, events by type — because (time, device_id)
 * alone is not unique across them: a watch's reading and its SOS can share a millisecond.
 * Each side reads only its next page through the (tenant_id, time, device_id…) indexes of
 * 004_telemetry_keys.sql. The cursor time travels as exact microseconds.
 */
const RECEIVED = '(extract(epoch FROM received_at) * 1000)::int8 AS received_ms'
const STREAM_SQL = `
SELECT * FROM (
  (SELECT 0 AS source, (extract(epoch FROM time) * 1000000)::int8 AS us, ${TS}, ${RECEIVED}, '' AS type, ${READING_COLUMNS},
          NULL::text AS device_kind, NULL::jsonb AS detail
   FROM readings
   WHERE tenant_id = $1 AND time < $5::float8 * interval '1 millisecond' + timestamptz 'epoch'
     AND (time, device_id) > (timestamptz 'epoch' + $2::int8 * interval '1 microsecond', $3::text)
     AND ($7::float8 IS NULL OR received_at > timestamptz 'epoch' + $7::float8 * interval '1 millisecond')
   ORDER BY time, device_id LIMIT $6)
  UNION ALL
  (SELECT 1, (extract(epoch FROM time) * 1000000)::int8, ${TS}, ${RECEIVED}, type, tenant_id, elder_id, device_id,
          ${NO_READING_VALUES}, device_kind, detail
   FROM device_events
   WHERE tenant_id = $1 AND time < $5::float8 * interval '1 millisecond' + timestamptz 'epoch'
     AND (time, device_id, type) > (timestamptz 'epoch' + $2::int8 * interval '1 microsecond', $3::text, $4::text)
     AND ($7::float8 IS NULL OR received_at > timestamptz 'epoch' + $7::float8 * interval '1 millisecond')
   ORDER BY time, device_id, type LIMIT $6)
) AS merged
ORDER BY us, device_id, source, type
LIMIT $6`

type StreamRow = ReadingRow & EventRow & { source: number; us: number; received_ms: number }

/**
 * All readings and events of a tenant in [from, to), in event-time order, `pageSize` at a time
 * (the backtester replays a tenant through the pure rule engine). Keyset paging: each page
 * starts strictly after the last row of the one before, so no row is skipped or repeated
 * however many share a timestamp, and rows written meanwhile behind the cursor do not shift pages.
 */
export async function* streamTenantInputs(
  db: Db,
  q: {
    tenantId: string
    from: number
    to: number
    pageSize: number
    /** Only rows stored after this instant (epoch ms): the rule engine's replay after a crash. */
    receivedAfter?: number | undefined
    /**
     * Stamp each input with its stored arrival (received_at) as `arrivedAt`: a replay on the
     * wall clock, where silence is measured by arrival. Backtests leave it off: they replay in
     * event time, and a simulated week's received_at is not on its event clock.
     */
    arrivals?: boolean
  },
): AsyncIterable<Array<WatchReading | CameraReading | DeviceEvent>> {
  // Start "after" (from, '', ''): every device id and event type sorts after the empty string.
  let cursor: [number, string, string] = [q.from * 1000, '', '']
  for (;;) {
    const rows = await db.query<StreamRow>(STREAM_SQL, [q.tenantId, ...cursor, q.to, q.pageSize, q.receivedAfter ?? null])
    if (rows.length === 0) return
    yield rows.map((r) => {
      const input = r.source === 0 ? readingFromRow(r) : eventFromRow(r)
      if (q.arrivals) input.arrivedAt = Number(r.received_ms)
      return input
    })
    const last = rows[rows.length - 1]!
    // A reading at the cursor's (time, device) precedes every event there: '' selects them all.
    cursor = [last.us, last.device_id, last.source === 0 ? '' : last.type]
    if (rows.length < q.pageSize) return
  }
}
